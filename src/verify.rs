//! Integrity verification: replays the whole ledger, streaming, and reports every failure
//! pinned to the entry where it was found.
//!
//! Checks, per entry: numbering, stored hash, decoding, hash chain,
//! signature by a key valid for the signing party at that point, time order, and the structural
//! rules of `rules` (who may sign what, references to earlier entries).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;
use tlog::CompactRange;

use crate::codec;
use crate::hash::{Digest, leaf_hash};
use crate::index::{ReferenceDigest, check_index};
use crate::integrity::{IntegrityFailure, IntegrityKind};
use crate::keys::{PublicKey, SIGNATURE_BATCH, SignatureCheck, verify_entry_signatures};
use crate::model::{Body, CategoryKind, Entry, EntryHash, KeyId, PartyId, Seq, Timestamp};
use crate::policy::{Flag, FlagCode, PolicyEngine, Severity};
use crate::registers::Registers;
use crate::rules;
use crate::store::{LogReader, Store, StoreError};
use crate::witness::{CheckedCheckpoint, check_checkpoint};
use ed25519_dalek::VerifyingKey;

/// How far (seconds) an entry's recorded time may precede its predecessor's before it is
/// reported as time going backwards (clocks of two regulators are never exactly in step).
pub const DEFAULT_TIME_TOLERANCE_SECS: i64 = 600;

/// Settings for a verification run.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// See [`DEFAULT_TIME_TOLERANCE_SECS`].
    pub time_tolerance_secs: i64,
    /// The moment acknowledgement deadlines are judged at (normally now).
    pub as_of: Timestamp,
    /// Told how many entries have been checked, now and then.
    pub progress: crate::stream::Progress,
    /// The keys the verifier trusts (the parties' published public keys, `verify --trust`):
    /// every trust-root key of the genesis entry must be one of them, or the run fails with
    /// `untrusted-genesis`. `None` checks the ledger on its own terms only.
    pub trusted: Option<Vec<PublicKey>>,
    /// Checkpoint notes obtained from elsewhere (`verify --checkpoint`) that the ledger must
    /// still contain and extend: a shorter ledger is a `rollback`, a different root at the
    /// note's size a `checkpoint-mismatch`.
    pub given_checkpoints: Vec<GivenCheckpoint>,
}

/// A checkpoint note handed to the verifier from outside the ledger (from the other regulator
/// or a witness), with where it came from, for the messages.
#[derive(Debug, Clone)]
pub struct GivenCheckpoint {
    /// Where it came from (the file name), named in failures.
    pub source: String,
    /// The note's bytes, with its signatures.
    pub note: Vec<u8>,
}

/// A party's trust-root key, as named in the genesis entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TrustRoot {
    /// The party.
    pub party: PartyId,
    /// The key's C2SP name.
    pub name: String,
    /// The key id.
    pub key_id: KeyId,
    /// Whether it is among the keys the verifier was told to trust (`None`: no `--trust`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted: Option<bool>,
}

/// The trust-root keys of the parties in `reg` (the keys the genesis entry added), in party
/// order.
pub fn trust_roots(reg: &crate::registers::SmallRegisters) -> Vec<TrustRoot> {
    let mut out = Vec::new();
    for (party, state) in &reg.parties {
        for (key_id, k) in &state.keys {
            if k.added_at == Seq(0) {
                out.push(TrustRoot {
                    party: party.clone(),
                    name: k.record.name.clone(),
                    key_id: *key_id,
                    trusted: None,
                });
            }
        }
    }
    out
}

/// A given checkpoint the ledger was found to contain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainedCheckpoint {
    /// Where it came from.
    pub source: String,
    /// Its tree size.
    pub size: u64,
    /// Its root hash, hex.
    pub root: String,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            time_tolerance_secs: DEFAULT_TIME_TOLERANCE_SECS,
            as_of: Timestamp::now(),
            progress: Default::default(),
            trusted: None,
            given_checkpoints: Vec::new(),
        }
    }
}

/// Which policy flags to report.
#[derive(Debug, Clone, Default)]
pub struct FlagFilter {
    /// Only this flag.
    pub only: Option<FlagCode>,
    /// Only disclosures made on or after this instant.
    pub since: Option<Timestamp>,
    /// Only disclosures made on or before this instant.
    pub until: Option<Timestamp>,
}

impl FlagFilter {
    /// What the filter keeps, in words; `None` when it keeps every flag.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(c) = self.only {
            parts.push(format!("only {c}"));
        }
        if let Some(s) = self.since {
            parts.push(format!("disclosures made from {s}"));
        }
        if let Some(u) = self.until {
            parts.push(format!("disclosures made until {u}"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    fn keeps(&self, f: &Flag) -> bool {
        self.only.is_none_or(|c| c == f.code)
            && self.since.is_none_or(|s| f.at >= s)
            && self.until.is_none_or(|u| f.at <= u)
    }
}

/// Policy flags found, judged against the policy in force when each disclosure was made.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    /// Disclosures judged.
    pub disclosures: u64,
    /// Disclosures with at least one flag (after filtering).
    pub flagged_disclosures: u64,
    /// Flags by code (after filtering).
    pub counts: BTreeMap<String, u64>,
    /// Every flag (after filtering), in ledger order.
    pub flags: Vec<Flag>,
    /// What the flags were filtered to, in words; absent when every flag is reported. A
    /// filtered report claims nothing about the flags outside its filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filtered: Option<String>,
    /// Flags of disclosures a correction replaced: shown, marked "replaced by #M", not counted
    /// (the replacement's own flags are in `flags`, on the correction).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<Flag>,
    /// Flags on policy documents rather than on disclosures (`policy-unreadable`), included in
    /// `flags` but not in the per-disclosure figures.
    #[serde(default)]
    pub on_documents: u64,
    /// Flags a party to the disclosure has disposed of (reviewed with no action, accepted as an
    /// exception, or remediated by a correction), with the latest disposition of each: shown
    /// apart from `flags`, not counted, and not in the exit code unless asked
    /// (`verify --include-disposed`). An escalated flag stays in `flags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disposed: Vec<DisposedFlag>,
    /// Dispositions whose flag this run does not raise (e.g. `unacknowledged` disposed of, then
    /// acknowledged late): listed so that nothing signed is hidden. Only in a full run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dispositions_without_flag: Vec<DispositionRecord>,
}

/// A flag with what was done about it.
#[derive(Debug, Clone, Serialize)]
pub struct DisposedFlag {
    /// The flag, as raised.
    pub flag: Flag,
    /// Its latest disposition.
    pub disposition: DispositionRecord,
}

/// A flag disposition entry, as `verify` read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DispositionRecord {
    /// The disposition entry.
    pub seq: Seq,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// The party that recorded it.
    pub party: crate::model::PartyId,
    /// The entry flagged.
    pub entry: Seq,
    /// The flag's code.
    pub flag: String,
    /// What was done.
    #[serde(serialize_with = "action_name")]
    pub action: crate::model::DispositionAction,
    /// The correction that put it right, for `remediated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction: Option<Seq>,
    /// What the reviewer found and decided.
    pub note: String,
    /// The reviewer's role.
    pub reviewer_role: String,
}

/// A disposition action by its kebab-case name, in reports.
fn action_name<S: serde::Serializer>(
    action: &crate::model::DispositionAction,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(action.as_str())
}

impl DispositionRecord {
    /// One line for reports: "reviewed-no-action by ICO (Compliance lead) at #512 on
    /// 2025-03-01: note".
    pub fn describe(&self) -> String {
        let remedy = self
            .correction
            .map(|c| format!(" by correction {c}"))
            .unwrap_or_default();
        format!(
            "{}{remedy} — {} ({}) at {} on {}: {}",
            self.action.as_str(),
            self.party,
            self.reviewer_role,
            self.seq,
            self.recorded_at.london_date(),
            self.note
        )
    }

    /// Whether this disposition closes the flag (every action but `escalated`, which passes
    /// it on for decision).
    pub fn closes(&self) -> bool {
        self.action.closes_flag()
    }
}

/// Integrity and policy results of one verification run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Integrity (can the ledger be trusted?).
    pub integrity: IntegrityReport,
    /// Policy flags (which disclosures need a second look?).
    pub policy: PolicyReport,
}

/// The outcome a report maps to; the binary turns it into the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Intact, no flags: exit 0.
    Clean,
    /// Intact, flags found: exit 1.
    Flags,
    /// Integrity failure: exit 2.
    IntegrityFailure,
}

impl Report {
    /// The outcome counting disposed-of flags as flags too (`verify --include-disposed`).
    pub fn outcome_including_disposed(&self) -> Outcome {
        match self.outcome() {
            Outcome::Clean if !self.policy.disposed.is_empty() => Outcome::Flags,
            other => other,
        }
    }

    /// The outcome: integrity failures outrank flags; flags disposed of do not count.
    pub fn outcome(&self) -> Outcome {
        if self.integrity.status == IntegrityStatus::Failed {
            Outcome::IntegrityFailure
        } else if !self.policy.flags.is_empty() {
            Outcome::Flags
        } else {
            Outcome::Clean
        }
    }

    /// Plain-language text: integrity first, then flags grouped by code.
    pub fn to_text(&self, ledger_name: &str) -> String {
        use std::fmt::Write;
        let mut out = self.integrity.to_text(ledger_name);
        let p = &self.policy;
        let _ = writeln!(out);
        if let Some(what) = &p.filtered {
            // A filtered report says what it kept and claims nothing about the rest.
            let _ = writeln!(
                out,
                "Policy, filtered to {what}: {} flag{} on {} disclosure{} (of {} judged). Flags \
                 outside the filter are not reported here; verify without the filter for the \
                 whole ledger.",
                p.flags.len(),
                plural(p.flags.len() as u64),
                p.flagged_disclosures,
                plural(p.flagged_disclosures),
                p.disclosures
            );
            if p.flags.is_empty() && p.replaced.is_empty() && p.disposed.is_empty() {
                return out;
            }
        } else if p.flags.is_empty() && !p.disposed.is_empty() {
            let _ = writeln!(
                out,
                "Policy: no open flags. {} flag{} raised on these {} disclosures {} disposed of \
                 by a party to the disclosure (below): the disclosures did not all fall within the \
                 arrangements, and the record says what was done about each.",
                p.disposed.len(),
                plural(p.disposed.len() as u64),
                p.disclosures,
                if p.disposed.len() == 1 { "was" } else { "were" }
            );
        } else if p.flags.is_empty() && p.dispositions_without_flag.is_empty() {
            let _ = writeln!(
                out,
                "Policy: no flags. {} fall{} within the arrangements in force when {} made.",
                match p.disclosures {
                    0 => "No disclosures are recorded, so none".to_owned(),
                    1 => "The one disclosure".to_owned(),
                    n => format!("All {n} disclosures"),
                },
                if p.disclosures == 1 { "s" } else { "" },
                if p.disclosures == 1 {
                    "it was"
                } else {
                    "they were"
                }
            );
            return out;
        } else if let Some(from) = self.integrity.resumed_from {
            // A resumed run judged only the new disclosures; the flags of older ones are those
            // still open at its checkpoint (acknowledgement and correction flags). Counted apart,
            // so no rate mixes the two.
            let (new, old): (Vec<&Flag>, Vec<&Flag>) =
                p.flags.iter().partition(|f| f.seq.0 >= from);
            let distinct = |fs: &[&Flag]| {
                fs.iter()
                    .map(|f| f.seq)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len() as u64
            };
            let (new_n, old_n) = (new.len() as u64, old.len() as u64);
            let new_part = match p.disclosures {
                0 => format!("no disclosures recorded since the checkpoint of size {from}"),
                1 => format!(
                    "{} on the one disclosure recorded since the checkpoint of size {from}",
                    match new_n {
                        0 => "no flags".to_owned(),
                        n => format!("{n} flag{}", plural(n)),
                    }
                ),
                n => format!(
                    "{new_n} flag{} on {} of the {n} disclosure{} recorded since the checkpoint of \
                     size {from} ({:.1} per 100)",
                    plural(new_n),
                    distinct(&new),
                    plural(n),
                    per_hundred(new_n, n)
                ),
            };
            let old_part = match old_n {
                0 => String::new(),
                n => format!(
                    "; {n} flag{} on {} earlier disclosure{} still open at that checkpoint \
                     (acknowledgements and corrections; their other flags were reported by the \
                     run that verified them)",
                    plural(n),
                    distinct(&old),
                    plural(distinct(&old))
                ),
            };
            let _ = writeln!(
                out,
                "Policy: {new_part}{old_part}. Each is judged against the policy in force when it \
                 was made."
            );
        } else {
            let on_disclosures = p.flags.len() as u64 - p.on_documents;
            let _ = writeln!(
                out,
                "Policy: {on_disclosures} flag{} on {} of {} disclosures ({:.1} per 100){}, each \
                 judged against the policy in force when it was made.",
                plural(on_disclosures),
                p.flagged_disclosures,
                p.disclosures,
                per_hundred(on_disclosures, p.disclosures),
                match p.on_documents {
                    0 => String::new(),
                    n => format!(", and {n} on policy document{}", plural(n)),
                }
            );
        }
        for info in crate::policy::CATALOGUE {
            let flags: Vec<&Flag> = p.flags.iter().filter(|f| f.code == info.code).collect();
            if flags.is_empty() {
                continue;
            }
            // A local-practice flag takes the severity and date of the policy in force, so a
            // group can hold more than one of each.
            let severities: std::collections::BTreeSet<Severity> =
                flags.iter().map(|f| f.severity).collect();
            let basis = group_basis(&flags);
            let _ = writeln!(
                out,
                "\n  {} — {} ({}, {}, {})",
                info.code,
                info.title,
                flags.len(),
                severities
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("/"),
                basis
            );
            for f in flags {
                let _ = writeln!(out, "    {}", f.message);
            }
        }
        if !p.disposed.is_empty() {
            let _ = writeln!(
                out,
                "\n  Disposed of by a party to the disclosure ({}; not counted, and not in the exit \
                 code unless --include-disposed):",
                p.disposed.len()
            );
            for d in &p.disposed {
                let _ = writeln!(
                    out,
                    "    {} {}\n      {}",
                    d.flag.code,
                    d.flag.message,
                    d.disposition.describe()
                );
            }
        }
        if !p.dispositions_without_flag.is_empty() {
            let _ = writeln!(
                out,
                "\n  Dispositions of flags this run does not raise (recorded, shown so nothing is \
                 hidden):"
            );
            for d in &p.dispositions_without_flag {
                let _ = writeln!(out, "    {} on {}: {}", d.flag, d.entry, d.describe());
            }
        }
        if !p.replaced.is_empty() {
            let _ = writeln!(
                out,
                "\n  Replaced by a correction (not counted; the correction's own flags are above):"
            );
            for f in &p.replaced {
                let _ = writeln!(out, "    {} {}", f.code, f.message);
            }
        }
        let _ = writeln!(
            out,
            "\nRun `dledger explain CODE` for what a flag means, the statement text it rests on, \
             and what to check."
        );
        out
    }
}

/// What a group of flags of one kind rests on: the statement passage, or the local practice
/// with the effective dates of the policies that adopted it.
fn group_basis(flags: &[&Flag]) -> String {
    let dates: std::collections::BTreeSet<String> = flags
        .iter()
        .filter_map(|f| f.practice_adopted)
        .map(|t| t.london_date().to_string())
        .collect();
    if dates.is_empty() {
        return flags.first().map_or_else(String::new, |f| f.basis_label());
    }
    let dates: Vec<String> = dates.into_iter().collect();
    crate::policy::local_practice_label(&dates)
}

/// Whether `flag` belongs to a disclosure a correction replaced (`replaced` says which) and so is
/// shown but not counted: the effective record is the replacement. `superseded` is never such a
/// flag: it is what says the record changed. `verify` and `review` both decide with this.
pub fn is_replaced_flag(flag: &Flag, replaced: impl Fn(Seq) -> bool) -> bool {
    flag.code != FlagCode::Superseded && replaced(flag.seq)
}

/// When the disclosure a correction replaces was first recorded (the correction's own time if
/// it is not known): a replacement's lateness is measured to it, so a correction neither makes
/// a timely record late nor a late one timely.
pub fn first_recorded(reg: &Registers, superseded: Seq, fallback: Timestamp) -> Timestamp {
    reg.disclosures
        .get(superseded)
        .map_or(fallback, |d| d.recorded_at)
}

/// "s" for a count other than one.
fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn per_hundred(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

/// Verifies integrity and judges every disclosure against the policy in force when it was
/// made, streaming through the ledger once.
pub fn verify_ledger(
    store: &Store,
    opts: &VerifyOptions,
    filter: &FlagFilter,
) -> Result<Report, VerifyError> {
    run(store, opts, filter, None).map(|(report, _)| report)
}

/// Called with each new entry before it is checked, to load the older entry it refers to.
pub(crate) type OldEntryLoader<'a> = Box<dyn FnMut(&mut Verifier, &Entry) + 'a>;

/// Where a run starts when it resumes from a trusted checkpoint (`verify --since-checkpoint`):
/// the registers and Merkle compact range at `size`, and the last entry before it.
pub(crate) struct Start<'a> {
    /// Tree size of the trusted checkpoint.
    pub size: u64,
    /// Registers after entry `size - 1` (with the disclosures still open then).
    pub registers: Registers,
    /// Compact range of the first `size` leaves, proved by the checkpoint's root.
    pub compact: CompactRange,
    /// Entry hash and recorded time of entry `size - 1`.
    pub head: (EntryHash, Timestamp),
    /// Loads the older entries that new ones refer to, proving each against the checkpoint.
    pub load: OldEntryLoader<'a>,
    /// Keeps a flag of an entry before `size` (the others were reported by earlier runs).
    pub keep_old_flag: Box<dyn Fn(&Flag) -> bool + 'a>,
    /// The verifier's copy of the entry index (`crate::index_copy`) and the index root the
    /// trusted checkpoint signs: the newer checkpoints' index roots are rebuilt from it.
    pub index: Option<(&'a Path, Digest)>,
}

/// What a run saw at the latest checkpoint cosigned by another party: its size and note, and the
/// registers and open disclosures after its last entry (to resume from next time).
#[derive(Debug, Clone)]
pub struct ResumePoint {
    /// Tree size.
    pub size: u64,
    /// The checkpoint note, with its cosignatures.
    pub note: Vec<u8>,
    /// The registers after entry `size - 1`.
    pub registers: crate::registers::Snapshot,
    /// Disclosures not yet acknowledged after entry `size - 1`, with their summaries.
    pub open: Vec<(Seq, crate::registers::DisclosureSummary)>,
    /// Hash of the ledger's genesis entry (entry 0): which ledger this point is of.
    pub genesis: EntryHash,
    /// The ledger's trust-root keys, from its genesis entry.
    pub trust_roots: Vec<TrustRoot>,
    /// The entry index over the first `size` entries, when this run built it in memory and
    /// ended exactly there (a full run up to its newest checkpoint): the verifier's copy of
    /// the index is saved from it instead of from the entries again. Never in the state file.
    pub index: Option<ledger_core::index::Index>,
}

/// A verification run, from the first entry or resumed from `start`; also returns where the
/// next run may resume, if the ledger is intact and holds a cosigned checkpoint after the start.
pub(crate) fn run(
    store: &Store,
    opts: &VerifyOptions,
    filter: &FlagFilter,
    start: Option<Start<'_>>,
) -> Result<(Report, Option<ResumePoint>), VerifyError> {
    let from = start.as_ref().map_or(0, |s| s.size);
    let (mut v, mut load, keep_old_flag, index_copy) = match start {
        Some(s) => (
            Verifier::resume(opts.clone(), s.registers, s.size, s.head, s.compact),
            s.load,
            s.keep_old_flag,
            s.index,
        ),
        None => (
            Verifier::new(opts.clone()),
            Box::new(|_: &mut Verifier, _: &Entry| {}) as OldEntryLoader<'_>,
            Box::new(|_: &Flag| true) as Box<dyn Fn(&Flag) -> bool + '_>,
            None,
        ),
    };
    // The Merkle root at `from`, proved by the checkpoint a resumed run starts from.
    let start_root = (from > 0).then(|| v.root());
    let stored_checkpoints = store.checkpoints()?;
    let checkpoints: Vec<(u64, Vec<u8>)> = stored_checkpoints
        .iter()
        .filter(|(size, _)| *size > from)
        .cloned()
        .collect();
    v.want_roots(checkpoints.iter().map(|(size, _)| *size));
    // The entry index saved for writers and proofs, compared with the one the entries give.
    let saved_index = store.read_entry_index()?;
    v.want_roots(saved_index.iter().map(|(size, _)| *size));
    v.want_roots(
        opts.given_checkpoints
            .iter()
            .filter_map(|g| note_size(&g.note))
            .filter(|s| *s > from),
    );
    // The latest checkpoint that carries a cosignature: the registers are captured as they
    // stream past it, and kept if it checks out.
    let resume_at = checkpoints
        .iter()
        .rev()
        .find(|(_, note)| tlog::Note::parse(note).is_ok_and(|n| n.signatures().len() > 1))
        .map(|(size, _)| *size);
    let mut captured = None;
    let mut engine = PolicyEngine::new();
    let mut flags = Vec::new();
    let mut disclosures = 0u64;
    let mut references = ReferenceDigest::default();
    // Disclosure → the correction whose replacement supersedes it.
    let mut replaced: BTreeMap<Seq, Seq> = BTreeMap::new();
    // (entry, flag code) → its latest disposition.
    let mut dispositions: BTreeMap<(Seq, String), DispositionRecord> = BTreeMap::new();
    // The vault of the ledger's own file: every field value is there or erased by an entry.
    let vault_held = store.vault_held()?;
    if vault_held == Some(true) {
        v.collect_vault_absent();
    }
    let mut erased: BTreeMap<(Seq, String), Seq> = BTreeMap::new();
    let mut judge =
        |v: &Verifier, r: &crate::store::StoredRecord, entry: &Entry| -> Result<(), VerifyError> {
            for target in entry.body.references() {
                references.add(target, entry.seq);
            }
            if let Body::Erasure(x) = &entry.body {
                for f in &x.fields {
                    erased.insert((f.entry, f.field.as_str().to_owned()), entry.seq);
                }
            }
            if Some(entry.seq.0 + 1) == resume_at {
                let reg = v.registers();
                let open: Vec<_> = reg
                    .disclosures
                    .iter()
                    .filter(|(_, d)| d.acknowledged.is_none())
                    .collect();
                captured = Some((reg.snapshot(), open));
            }
            match &entry.body {
                Body::Disclosure(d) => {
                    disclosures += 1;
                    let values = if d.category.kind() == CategoryKind::ThemeOnly {
                        Some(values_of(&r.vault().unwrap_or_default()))
                    } else {
                        None
                    };
                    flags.extend(engine.judge(
                        entry.seq,
                        entry.recorded_at,
                        entry.version,
                        d,
                        v.registers(),
                        values.as_deref(),
                    ));
                }
                // A correction's replacement is a disclosure, judged exactly like a new one; it
                // is the effective record from then on.
                Body::Correction(c) => {
                    if let Some(d) = &c.replacement {
                        replaced.insert(c.supersedes, entry.seq);
                        let values = (d.category.kind() == CategoryKind::ThemeOnly)
                            .then(|| values_of(&r.vault().unwrap_or_default()));
                        flags.extend(engine.judge(
                            entry.seq,
                            first_recorded(v.registers(), c.supersedes, entry.recorded_at),
                            entry.version,
                            d,
                            v.registers(),
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
                Body::Disposition(d) => {
                    dispositions.insert(
                        (d.entry, d.flag.clone()),
                        DispositionRecord {
                            seq: entry.seq,
                            recorded_at: entry.recorded_at,
                            party: entry.signer.party.clone(),
                            entry: d.entry,
                            flag: d.flag.clone(),
                            action: d.action,
                            correction: d.correction,
                            note: d.note.clone(),
                            reviewer_role: d.reviewer_role.clone(),
                        },
                    );
                }
                _ => {}
            }
            Ok(())
        };
    stream(store, &mut v, from, &mut load, |v, r, entry| {
        judge(v, r, entry)
    })?;
    // A resumed run rebuilds the newer checkpoints' index roots from the verifier's own copy
    // of the index at its start, extended by the new entries.
    if let Some((copy, start_index_root)) = index_copy {
        let wanted: BTreeSet<u64> = checkpoints
            .iter()
            .map(|(size, _)| *size)
            .filter(|size| *size <= v.report.entries)
            .collect();
        if let Some(roots) =
            crate::index_copy::roots_after(copy, store, from, &start_index_root, &wanted)
        {
            v.index_roots.extend(roots);
        }
    }
    check_tree_and_checkpoints(store, &mut v, &checkpoints)?;
    let missing = v.take_vault_absent();
    check_vault_erasures(store, &mut v, vault_held, &missing, &erased)?;
    check_misfiled(&mut v, &stored_checkpoints);
    for given in &opts.given_checkpoints {
        check_given(store, &mut v, from, start_root, given);
    }
    check_trust(&mut v, opts.trusted.as_deref());
    // The writer's index is derived from entries; compared only when the entries are intact
    // (otherwise it differs for the reasons already reported) and were all read.
    if from == 0
        && v.report.failures.is_empty()
        && let Some(problem) = check_index(store, v.registers(), &references)?
    {
        let last = v.report.entries.saturating_sub(1);
        v.fail_at(Seq(last), IntegrityKind::IndexMismatch, problem);
    }
    if from == 0
        && v.report.failures.is_empty()
        && let Some((size, mut map)) = saved_index
    {
        let saved = map.try_root();
        match (saved, v.index_root_at(size)) {
            (Ok(saved), Some(rebuilt)) if saved == rebuilt => {}
            (saved, _) => v.fail_at(
                Seq(size.saturating_sub(1)),
                IntegrityKind::IndexMismatch,
                match saved {
                    Ok(_) => format!(
                        "the entry index saved in the file for the first {size} entries differs \
                         from the one the entries give"
                    ),
                    Err(e) => format!("the entry index saved in the file cannot be read: {e}"),
                },
            ),
        }
    }
    let mut verified = v.finish();
    let built_index = verified.index.take();
    flags.extend(engine.finish(&verified.registers, opts.as_of));
    flags.retain(|f| f.seq.0 >= from || keep_old_flag(f));
    flags.retain(|f| filter.keeps(f));
    flags.sort_by_key(|f| (f.seq, f.code));
    // The effective record: a disclosure replaced by a correction is judged by its replacement
    // (whose flags are raised on the correction); its own flags are kept, marked, and not
    // counted. `superseded` itself stays counted: it is what says the record changed.
    let (old, mut flags): (Vec<Flag>, Vec<Flag>) = flags
        .into_iter()
        .partition(|f| is_replaced_flag(f, |s| replaced.contains_key(&s)));
    let replaced_flags: Vec<Flag> = old
        .into_iter()
        .map(|mut f| {
            f.message = format!("{} (replaced by {})", f.message, replaced[&f.seq]);
            f
        })
        .collect();
    flags.sort_by_key(|f| (f.seq, f.code));
    // Flags disposed of by a party to the disclosure are shown apart; an escalated one stays
    // open, saying so.
    let mut disposed = Vec::new();
    let mut open = Vec::with_capacity(flags.len());
    for mut f in flags {
        match dispositions.remove(&(f.seq, f.code.code().to_owned())) {
            Some(d) if d.closes() => disposed.push(DisposedFlag {
                flag: f,
                disposition: d,
            }),
            Some(d) => {
                f.message = format!("{} (escalated at {} by {})", f.message, d.seq, d.party);
                open.push(f);
            }
            None => open.push(f),
        }
    }
    let flags = open;
    // A replaced disclosure's flags may be disposed of too (typically "remediated" by the
    // correction that replaced it): said with the flag.
    let mut replaced_flags = replaced_flags;
    for f in &mut replaced_flags {
        if let Some(d) = dispositions.remove(&(f.seq, f.code.code().to_owned())) {
            f.message = format!("{}; {}", f.message, d.describe());
        }
    }
    let dispositions_without_flag: Vec<DispositionRecord> =
        if from == 0 && filter.describe().is_none() {
            dispositions.into_values().collect()
        } else {
            Vec::new()
        };
    let mut counts = BTreeMap::new();
    for f in &flags {
        *counts.entry(f.code.code().to_owned()).or_insert(0) += 1;
    }
    // Disclosures flagged, counted as `review` counts them: a correction's flags belong to the
    // disclosure it replaces, and a flag on a policy document is on no disclosure.
    let replaces: BTreeMap<Seq, Seq> = replaced.iter().map(|(o, c)| (*c, *o)).collect();
    let on_documents = flags
        .iter()
        .filter(|f| f.code == FlagCode::PolicyUnreadable)
        .count() as u64;
    let flagged: std::collections::BTreeSet<Seq> = flags
        .iter()
        .filter(|f| f.code != FlagCode::PolicyUnreadable)
        .map(|f| replaces.get(&f.seq).copied().unwrap_or(f.seq))
        .collect();
    let resume = match (captured, &checkpoints[..]) {
        (Some((registers, open)), _)
            if verified.report.status == IntegrityStatus::Intact
                && verified.report.latest_cosigned_size == resume_at =>
        {
            let size = resume_at.expect("captured at it");
            checkpoints
                .iter()
                .find(|(s, _)| *s == size)
                .map(|(_, note)| ResumePoint {
                    size,
                    note: note.clone(),
                    trust_roots: trust_roots(&registers),
                    registers,
                    open,
                    genesis: EntryHash::ZERO,
                    index: built_index.filter(|index| index.size() == size),
                })
        }
        _ => None,
    };
    let resume = match resume {
        Some(mut point) => match store.get(0)? {
            Some(genesis) => {
                point.genesis = EntryHash(leaf_hash(&genesis.bytes));
                Some(point)
            }
            None => None,
        },
        None => None,
    };
    Ok((
        Report {
            integrity: verified.report,
            policy: PolicyReport {
                disclosures,
                flagged_disclosures: flagged.len() as u64,
                counts,
                flags,
                filtered: filter.describe(),
                replaced: replaced_flags,
                on_documents,
                disposed,
                dispositions_without_flag,
            },
        },
        resume,
    ))
}

/// Checks the stored Merkle hashes against the entries, and every stored checkpoint against the
/// log (signatures by party keys, origin, root at its size).
fn check_tree_and_checkpoints(
    store: &impl LogReader,
    v: &mut Verifier,
    checkpoints: &[(u64, Vec<u8>)],
) -> Result<(), VerifyError> {
    let n = v.report.entries;
    if n > 0 {
        let last = n - 1;
        match tlog::tree_hash(n, store) {
            Ok(stored) if stored == v.root() => {}
            Ok(stored) => v.fail_at(
                Seq(last),
                IntegrityKind::TreeMismatch,
                format!(
                    "the stored Merkle hashes give root {} but the entries give {}",
                    hex::encode(stored),
                    hex::encode(v.root())
                ),
            ),
            Err(e) => v.fail_at(
                Seq(last),
                IntegrityKind::TreeMismatch,
                format!("stored Merkle hashes are unreadable: {e}"),
            ),
        }
    }
    let origin = v.registers().origin.clone().unwrap_or_default();
    for (size, bytes) in checkpoints {
        let at = size.saturating_sub(1);
        let checked =
            check_checkpoint(bytes, &origin, v.registers(), |s| v.root_at(s)).and_then(|c| match v
                .index_root_at(c.size)
            {
                Some(entries_root) => {
                    ledger_core::checkpoints::check_index_root(&c, &entries_root).map(|()| c)
                }
                None => Ok(c),
            });
        match checked {
            Err(e @ ledger_core::checkpoints::CheckpointRejected::IndexMismatch { .. }) => v
                .fail_at(
                    Seq(at),
                    IntegrityKind::CheckpointIndexMismatch,
                    format!("checkpoint of size {size}: {e}"),
                ),
            Ok(c) => {
                if !c.cosigners.is_empty() {
                    v.report.latest_cosigned_size = Some(c.size);
                }
                let roots = &mut v.report.index_roots;
                match (&c.index_root, v.index_roots.contains_key(&c.size)) {
                    (None, _) => roots.without += 1,
                    (Some(_), true) => roots.rebuilt += 1,
                    (Some(_), false) => roots.not_rebuilt += 1,
                }
                v.report.checkpoints.push(c);
            }
            Err(e) if e.is_inconsistency() => v.fail_at(
                Seq(at),
                IntegrityKind::CheckpointMismatch,
                format!("checkpoint of size {size}: {e}"),
            ),
            Err(e) => v.fail_at(
                Seq(at),
                IntegrityKind::BadCheckpoint,
                format!("checkpoint of size {size}: {e}"),
            ),
        }
    }
    Ok(())
}

/// In the file that holds the vault: a value missing without an erasure entry is
/// `vault-missing`; a value an erasure entry says was erased but is still there is
/// `vault-mismatch`.
fn check_vault_erasures(
    store: &Store,
    v: &mut Verifier,
    vault_held: Option<bool>,
    missing: &[(Seq, String)],
    erased: &BTreeMap<(Seq, String), Seq>,
) -> Result<(), VerifyError> {
    v.report.vault = match vault_held {
        Some(true) => VaultState::Held,
        Some(false) => VaultState::NotHeld,
        None => VaultState::Unmarked,
    };
    if vault_held != Some(true) {
        return Ok(());
    }
    for (seq, name) in missing {
        if !erased.contains_key(&(*seq, name.clone())) {
            v.fail_at(
                *seq,
                IntegrityKind::VaultMissing,
                format!(
                    "the vault holds no value for field {name}, and no erasure entry records its \
                     erasure"
                ),
            );
        }
    }
    for ((seq, name), by) in erased {
        if store.vault_items(seq.0)?.iter().any(|(n, _)| n == name) {
            v.fail_at(
                *by,
                IntegrityKind::VaultMismatch,
                format!(
                    "erases field {name} of {seq}, but the vault still holds its value: the \
                     erasure was not carried out"
                ),
            );
        }
    }
    Ok(())
}

/// The tree size a checkpoint note is for, if it is one.
fn note_size(note: &[u8]) -> Option<u64> {
    let note = tlog::Note::parse(note).ok()?;
    tlog::Checkpoint::from_note(&note).ok().map(|c| c.size)
}

/// Every stored checkpoint must be kept under its own tree size (checked for all rows, also in
/// a resumed run: an old note filed under a newer size would otherwise pass for the newest).
fn check_misfiled(v: &mut Verifier, stored: &[(u64, Vec<u8>)]) {
    let last = v.report.entries.saturating_sub(1);
    for (key, note) in stored {
        match note_size(note) {
            Some(size) if size != *key => v.fail_at(
                Seq(key.saturating_sub(1).min(last)),
                IntegrityKind::MisfiledCheckpoint,
                format!("the checkpoint stored under tree size {key} is for tree size {size}"),
            ),
            _ => {}
        }
    }
}

/// Checks a checkpoint given from outside: signed by a party key valid at its size, for this
/// origin, and the ledger still contains it (reaches its size) and extends it (same root).
fn check_given(
    store: &Store,
    v: &mut Verifier,
    from: u64,
    start_root: Option<Digest>,
    given: &GivenCheckpoint,
) {
    let entries = v.report.entries;
    let last = entries.saturating_sub(1);
    let source = &given.source;
    let origin = v.registers().origin.clone().unwrap_or_default();
    // The root at a size before the resumed run's start comes from the stored tree, proved
    // consistent with the trusted root at the start.
    let old_root = |size: u64| -> Option<Digest> {
        let start = start_root?;
        if size == from {
            return Some(start);
        }
        let root = tlog::tree_hash(size, store).ok()?;
        let proof = tlog::prove_consistency(size, from, store).ok()?;
        tlog::verify_consistency(&proof, size, from, &root, &start)
            .ok()
            .map(|()| root)
    };
    let root_at = |size: u64| -> Option<Digest> {
        if size == 0 || size > entries {
            None
        } else if size <= from {
            old_root(size)
        } else {
            v.root_at(size)
        }
    };
    let size = note_size(&given.note);
    match check_checkpoint(&given.note, &origin, v.registers(), root_at) {
        Ok(c) => v.report.contained_checkpoints.push(ContainedCheckpoint {
            source: source.clone(),
            size: c.size,
            root: c.root,
        }),
        Err(crate::checkpoints::CheckpointRejected::BeyondLedger { size }) if size > entries => v
            .fail_at(
                Seq(last),
                IntegrityKind::Rollback,
                format!(
                    "the checkpoint {source} is signed for tree size {size}, but the ledger \
                     holds only {entries} entries: entries recorded after it were removed (a \
                     rollback), or this is an old copy"
                ),
            ),
        Err(e) if e.is_inconsistency() => v.fail_at(
            Seq(size.map_or(last, |s| s.saturating_sub(1).min(last))),
            IntegrityKind::CheckpointMismatch,
            format!(
                "the ledger does not extend the checkpoint {source} of tree size {}: {e}",
                size.map_or("?".to_owned(), |s| s.to_string())
            ),
        ),
        Err(e) => v.fail_at(
            Seq(size.map_or(last, |s| s.saturating_sub(1).min(last))),
            IntegrityKind::BadCheckpoint,
            format!("the checkpoint {source} cannot be used: {e}"),
        ),
    }
}

/// With `verify --trust`: every trust-root key of the genesis entry must be a trusted key.
pub(crate) fn check_trust(v: &mut Verifier, trusted: Option<&[PublicKey]>) {
    let Some(trusted) = trusted else {
        return;
    };
    let mut roots = trust_roots(v.registers());
    if roots.is_empty() && v.report.entries > 0 {
        v.fail_at(
            Seq(0),
            IntegrityKind::UntrustedGenesis,
            "the genesis entry names no trust-root key to compare with the trusted keys".into(),
        );
    }
    let mut failures = Vec::new();
    for root in &mut roots {
        let record = v
            .registers()
            .parties
            .get(&root.party)
            .and_then(|p| p.keys.get(&root.key_id))
            .map(|k| k.record.clone());
        let ok = record.as_ref().is_some_and(|r| {
            trusted
                .iter()
                .any(|t| t.key_id == r.key_id && t.name == r.name && t.key.as_bytes() == &r.public)
        });
        root.trusted = Some(ok);
        if !ok {
            let same_name = trusted
                .iter()
                .find(|t| t.name == root.name)
                .map(|t| {
                    format!(
                        " (the trusted key named {} has key id {})",
                        t.name, t.key_id
                    )
                })
                .unwrap_or_default();
            failures.push(format!(
                "party {}'s trust-root key {} (key id {}) is not among the trusted keys{same_name}: \
                 this ledger is anchored in a key other than the one {} published",
                root.party, root.name, root.key_id, root.party
            ));
        }
    }
    v.report.trust_roots = roots;
    for message in failures {
        v.fail_at(Seq(0), IntegrityKind::UntrustedGenesis, message);
    }
}

/// Vault items as (field name, value text).
pub fn values_of(items: &[crate::store::VaultItem]) -> Vec<(String, String)> {
    items
        .iter()
        .filter(|(_, v)| v.len() >= 32)
        .map(|(name, v)| (name.clone(), String::from_utf8_lossy(&v[32..]).into_owned()))
        .collect()
}

/// Why verification could not run at all (as opposed to finding failures).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether the ledger can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IntegrityStatus {
    /// Every check passed.
    Intact,
    /// At least one integrity failure.
    Failed,
}

/// Whether the file holds its ledger's vault, and so whether missing values were looked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VaultState {
    /// The ledger's own file: every value is present or erased by an erasure entry (checked).
    Held,
    /// A copy made without values (import of an export, a mirror): not checked for them.
    NotHeld,
    /// A file made before the marker existed: values present are checked, missing ones are not.
    #[default]
    Unmarked,
}

/// How many checkpoints sign an entry index root, and whether this run rebuilt each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IndexRoots {
    /// Checkpoints whose index root was rebuilt from the entries and matched.
    pub rebuilt: u64,
    /// Checkpoints with an index root this run did not rebuild (an incremental run: only a
    /// full run rebuilds the index; the cosigner rebuilt it before cosigning).
    pub not_rebuilt: u64,
    /// Checkpoints made before the index existed, without an index line: they prove what the
    /// log held, not that nothing else was filed.
    pub without: u64,
}

/// The result of verifying a ledger's integrity.
#[derive(Debug, Clone, Serialize)]
pub struct IntegrityReport {
    /// Overall status.
    pub status: IntegrityStatus,
    /// The ledger's origin line, from genesis.
    pub origin: Option<String>,
    /// Entries read.
    pub entries: u64,
    /// Hash of the last entry read.
    pub head: Option<EntryHash>,
    /// Recorded time of the first and last entries.
    pub first_recorded: Option<Timestamp>,
    /// See `first_recorded`.
    pub last_recorded: Option<Timestamp>,
    /// Entries by kind.
    pub kinds: BTreeMap<String, u64>,
    /// Entries by entry format version: each is judged by the rules of its format (an older
    /// ledger keeps verifying under the rules it was recorded under).
    #[serde(default)]
    pub formats: BTreeMap<u16, u64>,
    /// Every failure found, in ledger order.
    pub failures: Vec<IntegrityFailure>,
    /// RFC 6962 root hash of the whole log (hex).
    pub root: Option<String>,
    /// Stored checkpoints that check out against the log.
    pub checkpoints: Vec<CheckedCheckpoint>,
    /// What was found of the entry index roots the checkpoints sign (docs/FORMAT.md §7.6).
    #[serde(default)]
    pub index_roots: IndexRoots,
    /// Whether the file holds the vault (and so was checked for missing values).
    #[serde(default)]
    pub vault: VaultState,
    /// The largest tree size covered by a checkpoint cosigned by a party other than its signer.
    pub latest_cosigned_size: Option<u64>,
    /// The parties' trust-root keys, from the genesis entry (with whether each is trusted, when
    /// the run was given trusted keys).
    pub trust_roots: Vec<TrustRoot>,
    /// Checkpoints given from outside (`verify --checkpoint`) that the ledger contains and
    /// extends.
    pub contained_checkpoints: Vec<ContainedCheckpoint>,
    /// Set when only the entries from this number on were read (`verify --since-checkpoint`):
    /// those before it are covered by a cosigned checkpoint verified by an earlier run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<u64>,
}

/// Integrity report plus the registers replayed along the way (for policy checks and reviews).
pub struct Verified {
    /// The report.
    pub report: IntegrityReport,
    /// Registers after the last entry.
    pub registers: Registers,
    /// The entry index rebuilt from every entry, if this run read them all intact.
    pub index: Option<ledger_core::index::Index>,
}

/// What can be worked out about a record on its own: its hash and its decoding. (Decoding is
/// strict enough that bytes that decode are the only encoding of their entry — docs/FORMAT.md
/// §6 — so no re-encoding check is needed.)
pub struct Prepared {
    hash: EntryHash,
    decoded: Result<Entry, codec::DecodeError>,
    /// The entry index key hashes it is filed under (computed here, on any thread).
    index_keys: Vec<Digest>,
    /// What reading the record's vault found, when it was read here.
    vault_check: Option<VaultCheck>,
}

/// Hashes and decodes one record's bytes (no state; safe to run on many threads).
pub fn prepare(bytes: &[u8]) -> Prepared {
    let hash = EntryHash(leaf_hash(bytes));
    let decoded = codec::decode_entry(bytes);
    let index_keys = decoded
        .as_ref()
        .map(ledger_core::index::key_hashes_of)
        .unwrap_or_default();
    Prepared {
        hash,
        decoded,
        index_keys,
        vault_check: None,
    }
}

/// [`prepare`], plus the check of the record's vault values against the entry's commitments
/// (a SHA-256 per field, so it is worth doing on all cores).
pub fn prepare_record(r: &crate::store::StoredRecord) -> Prepared {
    let mut p = prepare(&r.bytes);
    if let Ok(entry) = &p.decoded {
        p.vault_check = Some(vault_check(entry, r));
    }
    p
}

/// What reading a record's vault found, in one decoding of its row.
struct VaultCheck {
    /// The names of fields whose value does not match its commitment, or why the vault row
    /// cannot be read.
    mismatches: Result<Vec<String>, String>,
    /// The entry's fields with no value in the vault (all of them when the row cannot be read).
    absent: Vec<String>,
}

/// Reads `r`'s vault and checks it against the commitments in `entry`.
fn vault_check(entry: &Entry, r: &crate::store::StoredRecord) -> VaultCheck {
    let fields = entry
        .body
        .disclosure()
        .map(|d| d.fields.as_slice())
        .unwrap_or_default();
    match r.vault() {
        Ok(vault) => VaultCheck {
            mismatches: Ok(vault_mismatches(entry, &vault)),
            absent: fields
                .iter()
                .filter(|f| !vault.iter().any(|(n, _)| n == f.name.as_str()))
                .map(|f| f.name.as_str().to_owned())
                .collect(),
        },
        Err(e) => VaultCheck {
            mismatches: Err(e.to_string()),
            absent: fields.iter().map(|f| f.name.as_str().to_owned()).collect(),
        },
    }
}

/// The names of fields whose vault value (salt ‖ value) does not match the commitment in
/// `entry` (or that `entry` does not list at all).
fn vault_mismatches(entry: &Entry, vault: &[crate::store::VaultItem]) -> Vec<String> {
    let disclosures: Vec<&crate::model::Disclosure> = entry.body.disclosure().into_iter().collect();
    vault
        .iter()
        .filter(|(name, item)| {
            let commitment = disclosures
                .iter()
                .flat_map(|d| d.fields.iter())
                .find(|f| f.name.as_str() == name)
                .map(|f| f.commitment);
            match (commitment, item.split_first_chunk::<32>()) {
                (Some(c), Some((salt, value))) => {
                    crate::hash::field_commitment(salt, name, value) != c
                }
                _ => true,
            }
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// A signature waiting to be checked: checked in parallel batches by [`Verifier::check_signatures`].
struct SignatureJob {
    seq: u64,
    entry_bytes: Vec<u8>,
    signature: [u8; 64],
    key: VerifyingKey,
    signer: crate::model::Signer,
}

/// Checks signatures in parallel Ed25519 batches; returns the (entry, message) of each that fails.
fn verify_signature_jobs(jobs: &[SignatureJob]) -> Vec<(u64, String)> {
    use rayon::prelude::*;
    jobs.par_chunks(SIGNATURE_BATCH * 4)
        .flat_map_iter(verify_signature_batches)
        .collect()
}

/// Checks signatures in Ed25519 batches on the calling thread ([`verify_entry_signatures`], the
/// same function `verify-evidence` uses).
fn verify_signature_batches(jobs: &[SignatureJob]) -> Vec<(u64, String)> {
    let checks: Vec<SignatureCheck<'_>> = jobs
        .iter()
        .map(|j| SignatureCheck {
            key: &j.key,
            entry_bytes: &j.entry_bytes,
            signature: &j.signature,
        })
        .collect();
    let answers = verify_entry_signatures(&checks);
    jobs.iter()
        .zip(answers)
        .filter(|(_, ok)| !ok)
        .map(|(j, _)| {
            let what = format!(
                "signature does not verify under {}'s key {}",
                j.signer.party, j.signer.key_id
            );
            (j.seq, what)
        })
        .collect()
}

/// A streaming verifier: feed it stored records in order, then call [`Verifier::finish`].
pub struct Verifier {
    opts: VerifyOptions,
    reg: Registers,
    expected: u64,
    prev_hash: EntryHash,
    prev_time: Option<Timestamp>,
    report: IntegrityReport,
    /// (index into failures, key id) of every use of a key unknown at that point.
    unknown_key_uses: Vec<(usize, crate::model::KeyId)>,
    compact: CompactRange,
    /// Tree sizes whose roots are wanted (checkpoints), filled in as the leaves stream past.
    wanted_roots: BTreeMap<u64, Option<Digest>>,
    /// The entry index rebuilt from the entries (docs/FORMAT.md §7.6); `None` once an entry
    /// cannot be read or is out of place (the index is then unknown), and in a resumed run.
    index: Option<ledger_core::index::Index>,
    /// The index root at each wanted tree size reached with the index known.
    index_roots: BTreeMap<u64, Digest>,
    /// Signatures queued for checking.
    pending_signatures: Vec<SignatureJob>,
    /// The Merkle hashes the last record pushed should have stored.
    last_stored: Vec<Digest>,
    /// What reading the last pushed record's vault found, if it was read when the record was
    /// prepared.
    last_vault_check: Option<VaultCheck>,
    /// Fields found without a vault value, when asked for ([`Verifier::collect_vault_absent`]).
    vault_absent: Option<Vec<(Seq, String)>>,
}

impl Verifier {
    /// A verifier with the given settings.
    pub fn new(opts: VerifyOptions) -> Verifier {
        Verifier {
            opts,
            reg: Registers::default(),
            expected: 0,
            prev_hash: EntryHash::ZERO,
            prev_time: None,
            report: IntegrityReport {
                status: IntegrityStatus::Intact,
                origin: None,
                entries: 0,
                head: None,
                first_recorded: None,
                last_recorded: None,
                kinds: BTreeMap::new(),
                formats: BTreeMap::new(),
                failures: Vec::new(),
                root: None,
                checkpoints: Vec::new(),
                index_roots: IndexRoots::default(),
                vault: VaultState::default(),
                latest_cosigned_size: None,
                trust_roots: Vec::new(),
                contained_checkpoints: Vec::new(),
                resumed_from: None,
            },
            compact: CompactRange::new(),
            wanted_roots: BTreeMap::new(),
            index: Some(ledger_core::index::Index::new()),
            index_roots: BTreeMap::new(),
            pending_signatures: Vec::new(),
            last_stored: Vec::new(),
            last_vault_check: None,
            vault_absent: None,
            unknown_key_uses: Vec::new(),
        }
    }

    /// A verifier that carries on after the first `size` entries, as described by a trusted
    /// checkpoint: `reg` are the registers after them, `head` the last one's hash and time, and
    /// `compact` the compact range of their leaves.
    pub(crate) fn resume(
        opts: VerifyOptions,
        reg: Registers,
        size: u64,
        head: (EntryHash, Timestamp),
        compact: CompactRange,
    ) -> Verifier {
        let mut v = Verifier::new(opts);
        v.reg = reg;
        v.expected = size;
        v.prev_hash = head.0;
        v.prev_time = Some(head.1);
        v.compact = compact;
        v.index = None;
        v.report.entries = size;
        v.report.resumed_from = Some(size);
        v
    }

    /// Checks what is stored beside the last record pushed: the Merkle hashes it wrote, and the
    /// vault's field values against the entry's commitments.
    pub fn check_stored(&mut self, r: &crate::store::StoredRecord, entry: &Entry) {
        // The record's hashes from the leaf (level 0) up; the store keeps those of the upper
        // levels, and every one it keeps must be the one the entries give.
        let first = tlog::stored_hash_index(0, r.key);
        let expected: Vec<(u64, Digest)> = (first..)
            .zip(self.last_stored.iter().copied())
            .skip(crate::store::TREE_MIN_STORED_LEVEL as usize)
            .collect();
        if r.tree != expected {
            let bad = expected
                .iter()
                .find(|e| !r.tree.contains(e))
                .map_or(first, |(i, _)| *i);
            self.fail(
                r.key,
                IntegrityKind::TreeMismatch,
                format!("the Merkle hash stored at index {bad} for this entry is missing or wrong"),
            );
        }
        // Computed in `prepare_record` when the record was prepared there; else now.
        let check = match self.last_vault_check.take() {
            Some(c) => c,
            None => vault_check(entry, r),
        };
        if let Some(list) = &mut self.vault_absent {
            list.extend(check.absent.into_iter().map(|n| (Seq(r.key), n)));
        }
        match check.mismatches {
            Err(why) => self.fail(
                r.key,
                IntegrityKind::VaultMismatch,
                format!("the vault's field values for this entry cannot be read: {why}"),
            ),
            Ok(mismatches) => {
                for name in mismatches {
                    self.fail(
                        r.key,
                        IntegrityKind::VaultMismatch,
                        format!(
                            "the vault's value of field {name} does not match the entry's commitment"
                        ),
                    );
                }
            }
        }
    }

    /// Asks the verifier to keep every field it finds without a vault value (in the file that
    /// holds the vault, each must be backed by an erasure entry).
    pub(crate) fn collect_vault_absent(&mut self) {
        self.vault_absent = Some(Vec::new());
    }

    /// The fields found without a vault value so far (see [`Verifier::collect_vault_absent`]).
    pub(crate) fn take_vault_absent(&mut self) -> Vec<(Seq, String)> {
        self.vault_absent.take().unwrap_or_default()
    }

    /// Asks for the tree root at each of `sizes` (see [`Verifier::root_at`]).
    pub fn want_roots(&mut self, sizes: impl IntoIterator<Item = u64>) {
        self.wanted_roots
            .extend(sizes.into_iter().map(|s| (s, None)));
    }

    /// The tree root at a size asked for with [`Verifier::want_roots`], once reached.
    pub fn root_at(&self, size: u64) -> Option<Digest> {
        self.wanted_roots.get(&size).copied().flatten()
    }

    /// The entry index root at a size asked for with [`Verifier::want_roots`], once reached,
    /// if every entry up to it could be read (in a resumed run, from the verifier's copy of
    /// the index: `crate::index_copy`).
    pub fn index_root_at(&self, size: u64) -> Option<Digest> {
        self.index_roots.get(&size).copied()
    }

    /// The root of all leaves pushed so far.
    pub fn root(&self) -> Digest {
        self.compact.root()
    }

    /// Records a failure found outside the entry stream (tree, checkpoints).
    pub fn fail_at(&mut self, seq: Seq, kind: IntegrityKind, message: String) {
        self.fail(seq.0, kind, message);
    }

    /// The registers after the entries pushed so far.
    pub fn registers(&self) -> &Registers {
        &self.reg
    }

    /// The registers, to add older entries loaded on demand to (a resumed run).
    pub(crate) fn registers_mut(&mut self) -> &mut Registers {
        &mut self.reg
    }

    fn fail(&mut self, seq: u64, kind: IntegrityKind, message: String) {
        self.report.failures.push(IntegrityFailure {
            seq: Seq(seq),
            kind,
            message,
        });
    }

    /// Checks one stored record; returns the entry if it decoded. Its signature is checked at
    /// once. `malformed` is why the store could not read the record's row back
    /// ([`crate::store::StoredRecord::malformed`]): the entry is then `undecodable`.
    pub fn push(
        &mut self,
        key: u64,
        bytes: &[u8],
        signature: Option<&[u8; 64]>,
        malformed: Option<&str>,
    ) -> Option<Entry> {
        let entry = self.push_prepared(key, bytes, prepare(bytes), signature, malformed);
        self.check_signatures();
        entry
    }

    /// Checks one stored record whose bytes were already [`prepare`]d; returns the entry if it
    /// decoded. Its signature is queued: call [`Verifier::check_signatures`] (at the latest,
    /// [`Verifier::finish`] does). `malformed` as for [`Verifier::push`].
    pub fn push_prepared(
        &mut self,
        key: u64,
        bytes: &[u8],
        prepared: Prepared,
        signature: Option<&[u8; 64]>,
        malformed: Option<&str>,
    ) -> Option<Entry> {
        self.report.entries += 1;
        if key != self.expected {
            let message = if key > self.expected {
                format!(
                    "expected entry #{} next but found #{key}: {} entr{} missing",
                    self.expected,
                    key - self.expected,
                    if key - self.expected == 1 {
                        "y is"
                    } else {
                        "ies are"
                    }
                )
            } else {
                format!("entry #{key} appears again after #{}", self.expected - 1)
            };
            self.fail(key, IntegrityKind::SequenceGap, message);
            self.index = None;
        }
        self.expected = key + 1;
        let hash = prepared.hash;
        self.last_stored = self.compact.push_recording(hash.0);
        self.last_vault_check = prepared.vault_check;
        if let Some(slot) = self.wanted_roots.get_mut(&self.compact.size()) {
            *slot = Some(self.compact.root());
        }
        if malformed.is_some() {
            self.index = None;
        }
        if let Some(why) = malformed {
            self.fail(key, IntegrityKind::Undecodable, why.to_owned());
            self.prev_hash = hash;
            self.report.head = Some(hash);
            return None;
        }
        let index_keys = prepared.index_keys;
        let entry = match prepared.decoded {
            Ok(e) => e,
            Err(e) => {
                self.index = None;
                self.fail(key, IntegrityKind::Undecodable, e.to_string());
                self.prev_hash = hash;
                self.report.head = Some(hash);
                return None;
            }
        };
        if entry.seq.0 == key
            && let Some(index) = &mut self.index
        {
            index.add_hashes(entry.seq, &index_keys);
            if self.wanted_roots.contains_key(&(key + 1)) {
                self.index_roots.insert(key + 1, index.root());
            }
        } else {
            self.index = None;
        }
        if entry.seq.0 != key {
            self.fail(
                key,
                IntegrityKind::SequenceGap,
                format!("entry stored at #{key} says it is {}", entry.seq),
            );
        }
        if entry.prev != self.prev_hash {
            self.fail(
                key,
                IntegrityKind::BrokenChain,
                format!(
                    "records predecessor hash {} but the entry before it hashes to {}",
                    entry.prev, self.prev_hash
                ),
            );
        }
        if let Some(prev) = self.prev_time
            && entry.recorded_at.0 < prev.0 - self.opts.time_tolerance_secs
        {
            self.fail(
                key,
                IntegrityKind::TimeBackwards,
                format!(
                    "recorded at {} but the entry before it was recorded at {prev}",
                    entry.recorded_at
                ),
            );
        }
        self.check_signature(key, &entry, bytes, signature);
        for breach in rules::check_entry(&self.reg, &entry) {
            let (kind, message) = (breach.kind(), breach.message());
            if kind == IntegrityKind::UnknownKey {
                self.unknown_key_uses
                    .push((self.report.failures.len(), entry.signer.key_id));
            }
            self.fail(key, kind, message);
        }
        *self
            .report
            .kinds
            .entry(entry.body.kind().as_str().to_owned())
            .or_default() += 1;
        *self.report.formats.entry(entry.version).or_default() += 1;
        self.report.first_recorded.get_or_insert(entry.recorded_at);
        self.report.last_recorded = Some(entry.recorded_at);
        self.prev_time = Some(entry.recorded_at);
        self.prev_hash = hash;
        self.report.head = Some(hash);
        self.reg.apply(&entry, hash.0);
        Some(entry)
    }

    fn check_signature(&mut self, key: u64, entry: &Entry, bytes: &[u8], sig: Option<&[u8; 64]>) {
        let Some(sig) = sig else {
            self.fail(
                key,
                IntegrityKind::BadSignature,
                "no signature is stored".into(),
            );
            return;
        };
        let public = match &entry.body {
            Body::Genesis(g) => g
                .parties
                .iter()
                .find(|p| p.id == entry.signer.party && p.trust_root.key_id == entry.signer.key_id)
                .and_then(|p| PublicKey::from_record(&p.trust_root).ok()),
            _ => self
                .reg
                .public_key(&entry.signer.party, entry.signer.key_id)
                .cloned(),
        };
        // An unknown key is reported by the rules; the signature cannot be checked without it.
        if let Some(public) = public {
            self.pending_signatures.push(SignatureJob {
                seq: key,
                entry_bytes: bytes.to_vec(),
                signature: *sig,
                key: public.key,
                signer: entry.signer.clone(),
            });
        }
    }

    /// Checks every queued signature: Ed25519 batches of `SIGNATURE_BATCH` on all cores; a
    /// batch that fails is re-checked one signature at a time (strictly) to name the entry.
    pub fn check_signatures(&mut self) {
        let jobs = std::mem::take(&mut self.pending_signatures);
        let bad = verify_signature_jobs(&jobs);
        self.record_bad_signatures(bad);
    }

    fn take_signature_jobs(&mut self) -> Vec<SignatureJob> {
        std::mem::take(&mut self.pending_signatures)
    }

    fn record_bad_signatures(&mut self, bad: Vec<(u64, String)>) {
        for (seq, what) in bad {
            self.fail(seq, IntegrityKind::BadSignature, what);
        }
    }

    /// Ends the run and returns the report and final registers.
    pub fn finish(mut self) -> Verified {
        self.check_signatures();
        // A key that was unknown when used but registered later was used before it was added.
        for (i, key_id) in std::mem::take(&mut self.unknown_key_uses) {
            let f = &mut self.report.failures[i];
            let added_later = self
                .reg
                .parties
                .values()
                .filter_map(|p| p.keys.get(&key_id))
                .any(|k| k.added_at >= f.seq);
            if added_later {
                f.kind = IntegrityKind::KeyNotYetValid;
                f.message
                    .push_str(" (it is only registered later in the ledger)");
            }
        }
        self.report.origin = self.reg.origin.clone();
        if self.report.trust_roots.is_empty() {
            self.report.trust_roots = trust_roots(&self.reg);
        }
        if self.report.entries > 0 {
            self.report.root = Some(hex::encode(self.compact.root()));
        }
        if self.report.entries == 0 {
            self.report.failures.push(IntegrityFailure {
                seq: Seq(0),
                kind: IntegrityKind::BadGenesis,
                message: "the ledger holds no entries, not even a genesis entry".into(),
            });
        }
        self.report.failures.sort_by_key(|f| f.seq);
        if !self.report.failures.is_empty() {
            self.report.status = IntegrityStatus::Failed;
        }
        Verified {
            report: self.report,
            registers: self.reg,
            index: self.index,
        }
    }
}

/// Verifies every entry in `store`, streaming.
pub fn verify_store(store: &Store, opts: &VerifyOptions) -> Result<Verified, VerifyError> {
    let mut v = Verifier::new(opts.clone());
    stream(store, &mut v, 0, &mut |_, _| {}, |_, _, _| Ok(()))?;
    Ok(v.finish())
}

/// Streams every record of `store` through `v` in chunks: each chunk is hashed and decoded in
/// parallel, checked in ledger order (calling `each` with every decoded entry, after the
/// registers have taken it in), and its signatures checked in parallel batches before the next
/// chunk is read, so memory stays bounded whatever the ledger's size.
fn stream(
    store: &(impl LogReader + Sync),
    v: &mut Verifier,
    from: u64,
    before: &mut dyn FnMut(&mut Verifier, &Entry),
    mut each: impl FnMut(&Verifier, &crate::store::StoredRecord, &Entry) -> Result<(), VerifyError>,
) -> Result<(), VerifyError> {
    // This thread reads, decodes and checks entries in ledger order; signatures, the costly
    // part, are checked by rayon's worker threads in batches of SIGNATURES_PER_TASK, in parallel
    // with it. At most MAX_TASKS batches wait at once, so memory stays bounded.
    let (tx, rx) = std::sync::mpsc::channel::<Vec<(u64, String)>>();
    let mut outstanding = 0usize;
    let dispatch = |v: &mut Verifier, outstanding: &mut usize| {
        let jobs = v.take_signature_jobs();
        if jobs.is_empty() {
            return;
        }
        let tx = tx.clone();
        rayon::spawn(move || {
            let bad = verify_signature_batches(&jobs);
            // The receiver outlives every task; a send can only fail if verification aborted.
            let _ = tx.send(bad);
        });
        *outstanding += 1;
        while *outstanding >= MAX_TASKS {
            let bad = rx.recv().expect("a task always reports");
            v.record_bad_signatures(bad);
            *outstanding -= 1;
        }
        while let Ok(bad) = rx.try_recv() {
            v.record_bad_signatures(bad);
            *outstanding -= 1;
        }
    };
    // Records are read on another thread and decoded a chunk at a time on all cores, then
    // checked here in order.
    crate::stream::prepared_chunks(
        store,
        from,
        DECODE_CHUNK,
        prepare_record,
        |chunk, prepared| {
            for (r, p) in chunk.iter().zip(prepared) {
                if let Ok(entry) = &p.decoded {
                    before(v, entry);
                }
                if let Some(entry) = v.push_prepared(
                    r.key,
                    &r.bytes,
                    p,
                    r.signature.as_ref(),
                    r.malformed.as_deref(),
                ) {
                    v.check_stored(r, &entry);
                    each(v, r, &entry)?;
                }
                if v.pending_signatures.len() >= SIGNATURES_PER_TASK {
                    dispatch(v, &mut outstanding);
                }
            }
            if let Some(last) = chunk.last() {
                v.opts.progress.report(last.key + 1);
            }
            Ok::<_, VerifyError>(())
        },
    )?;
    dispatch(v, &mut outstanding);
    for _ in 0..outstanding {
        let bad = rx.recv().expect("a task always reports");
        v.record_bad_signatures(bad);
    }
    Ok(())
}

/// Records decoded together on all cores before being checked in order.
const DECODE_CHUNK: usize = 1024;

/// Signatures handed to one worker task.
const SIGNATURES_PER_TASK: usize = 2048;

/// Worker tasks in flight at most.
const MAX_TASKS: usize = 16;

impl IntegrityReport {
    /// Plain-language text for a compliance officer.
    pub fn to_text(&self, ledger_name: &str) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "Ledger:   {ledger_name}");
        if let Some(origin) = &self.origin {
            let _ = writeln!(out, "Origin:   {origin}");
        }
        let _ = writeln!(out, "Entries:  {}", self.entries);
        if let Some(from) = self.resumed_from {
            let _ = writeln!(
                out,
                "Checked:  entries #{from} onwards ({} new since the cosigned checkpoint of size \
                 {from} verified earlier; the stored tree still gives that checkpoint's root, so \
                 the entries before it are as they were then)",
                self.entries.saturating_sub(from)
            );
        }
        if let (Some(a), Some(b)) = (self.first_recorded, self.last_recorded) {
            let _ = writeln!(out, "Recorded: {a} to {b}");
        }
        if let Some(h) = &self.head {
            let _ = writeln!(out, "Head:     {h}");
        }
        if let Some(r) = &self.root {
            let _ = writeln!(
                out,
                "Root:     {r} (RFC 6962 tree of {})",
                match self.entries {
                    1 => "its one entry".to_owned(),
                    n => format!("all {n} entries"),
                }
            );
        }
        match (self.checkpoints.last(), self.latest_cosigned_size) {
            (None, _) => {
                let _ = writeln!(
                    out,
                    "Checkpoints: none stored (make one with `dledger checkpoint`)"
                );
            }
            (Some(last), cosigned) => {
                let _ = writeln!(
                    out,
                    "Checkpoints: {} valid, latest at size {} signed by {}; latest cosigned: {}",
                    self.checkpoints.len(),
                    last.size,
                    last.signer,
                    cosigned.map_or("none".to_owned(), |s| format!("size {s}"))
                );
                let IndexRoots {
                    rebuilt,
                    not_rebuilt,
                    without,
                } = self.index_roots;
                let mut parts = Vec::new();
                if rebuilt > 0 {
                    parts.push(format!(
                        "{rebuilt} sign{} an entry index root, rebuilt here from the entries and \
                         matching",
                        if rebuilt == 1 { "s" } else { "" }
                    ));
                }
                if not_rebuilt > 0 {
                    parts.push(format!(
                        "{not_rebuilt} newer one{} not rebuilt by this incremental run (a full \
                         `dledger verify` rebuilds {}; the cosigner rebuilt {} before cosigning)",
                        if not_rebuilt == 1 { "" } else { "s" },
                        if not_rebuilt == 1 { "it" } else { "them" },
                        if not_rebuilt == 1 { "it" } else { "each" }
                    ));
                }
                if without > 0 {
                    parts.push(format!(
                        "{without} made before the index (proving what the log held, not that \
                         nothing else was recorded)"
                    ));
                }
                let _ = writeln!(out, "Entry index: {}", parts.join("; "));
            }
        }
        match self.vault {
            VaultState::Held => {
                let _ = writeln!(
                    out,
                    "Vault:    this file holds the field values; each is present and matches its \
                     commitment, or an erasure entry records that it was erased"
                );
            }
            VaultState::NotHeld => {
                let _ = writeln!(
                    out,
                    "Vault:    this copy holds no field values (made from an export or mirrored), or \
                     only some (a log operated by a node: each party keeps the values of the \
                     entries it records); they are checked where they are kept"
                );
            }
            VaultState::Unmarked => {}
        }
        for (i, root) in self.trust_roots.iter().enumerate() {
            let label = if i == 0 { "Trust roots:" } else { "" };
            let trusted = match root.trusted {
                None => "",
                Some(true) => ", trusted",
                Some(false) => ", NOT TRUSTED",
            };
            let _ = writeln!(
                out,
                "{label:<13}{} key {} (key id {}{trusted})",
                root.party, root.name, root.key_id
            );
        }
        for c in &self.contained_checkpoints {
            let _ = writeln!(
                out,
                "Given checkpoint: {} (size {}, root {}) is contained in this ledger and \
                 extended by it",
                c.source, c.size, c.root
            );
        }
        let kinds: Vec<String> = self.kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        if !kinds.is_empty() {
            let _ = writeln!(out, "Kinds:    {}", kinds.join(", "));
        }
        if !self.formats.is_empty() {
            let formats: Vec<String> = self
                .formats
                .iter()
                .map(|(v, n)| format!("{n} in format {v}"))
                .collect();
            let _ = writeln!(
                out,
                "Formats:  {}{}",
                formats.join(", "),
                if self.formats.contains_key(&1) {
                    " (format 1 entries are judged by the rules they were recorded under: a \
                     theme, policy or designation declared by one party stands as recorded; \
                     relevance is free text; no legal basis, dispositions or refusals)"
                } else {
                    ""
                }
            );
        }
        out.push('\n');
        match self.status {
            IntegrityStatus::Intact => {
                let _ = writeln!(
                    out,
                    "Integrity: INTACT. Every entry is numbered in order, chained to the one \
                     before it, unchanged since it was recorded, and signed by a key its party \
                     held at the time."
                );
            }
            IntegrityStatus::Failed => {
                let _ = writeln!(
                    out,
                    "Integrity: FAILED. {} problem{} found; the ledger cannot be trusted until \
                     they are explained. The first is where to start looking.",
                    self.failures.len(),
                    if self.failures.len() == 1 { "" } else { "s" }
                );
                for f in &self.failures {
                    let _ = writeln!(
                        out,
                        "  entry {:>6}  {:<18} {}",
                        f.seq,
                        f.kind.code(),
                        f.message
                    );
                }
                let _ = writeln!(
                    out,
                    "\nRun `dledger explain CODE` for what a code means and what to do."
                );
            }
        }
        out
    }
}
