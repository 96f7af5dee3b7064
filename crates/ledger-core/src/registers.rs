//! Registers derived by replaying the log: parties and their keys, Collaboration Themes,
//! companies and their designations, policies, and a compact summary of every entry.
//!
//! Every register is derived from entries, so a verifier can tell what was in force at any
//! moment. Applying an entry never fails: deciding whether an entry was allowed is the job of
//! `rules` (at append time) and `verify` (afterwards).
//!
//! A writer need not replay the whole log to append: the small registers (everything but the
//! per-entry summaries) are saved with each commit as a [`Snapshot`], and the summaries of the
//! few older entries an append refers to are loaded on demand ([`Registers::insert_loaded`]).
//! `verify` always replays from the first entry and checks the saved snapshot against its own.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::keys::PublicKey;
use crate::model::{
    Body, CompanyId, Disclosure, Entry, EntryKind, KeyId, PartyId, PolicyDocument, PublicKeyRecord,
    Seq, ThemeId, Timestamp,
};

/// How far past the last entry number a replayed entry's number may jump and still be indexed.
const MAX_SEQ_JUMP: usize = 1 << 20;

/// A key of a party, with when it became valid and when it stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyState {
    /// The key as recorded.
    pub record: PublicKeyRecord,
    /// The decoded key, if the record holds a valid one (rebuilt from `record`, never saved).
    #[serde(skip)]
    pub key: Option<PublicKey>,
    /// Entry that added it (genesis for trust roots). Valid for entries after this one.
    pub added_at: Seq,
    /// Entry that rotated or revoked it. Invalid for entries after this one.
    pub ended_at: Option<Seq>,
}

/// A party and its key history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartyState {
    /// Full name.
    pub name: String,
    /// Every key the party has had.
    pub keys: BTreeMap<KeyId, KeyState>,
}

/// Whether a key may sign an entry at a given position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStatus {
    /// The key is valid for this party here.
    Valid,
    /// The party is not in the ledger.
    UnknownParty,
    /// The party has no such key (yet).
    UnknownKey,
    /// The key was rotated or revoked at the given entry.
    Ended(Seq),
}

/// A period in which something held, by entry time: `[from, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    /// Start (inclusive).
    pub from: Timestamp,
    /// End (exclusive), if it has ended.
    pub until: Option<Timestamp>,
}

impl Interval {
    /// Whether `at` falls inside.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from <= at && self.until.is_none_or(|u| at < u)
    }
}

/// A Collaboration Theme and the periods it was in force.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThemeState {
    /// Title.
    pub title: String,
    /// Periods in force (a retired theme can be declared again).
    pub in_force: Vec<Interval>,
}

/// A designation proposal awaiting or past confirmation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Proposal {
    /// The proposal entry.
    pub seq: Seq,
    /// Who proposed.
    pub by: PartyId,
    /// The other party of the pair (format 2); `None` for a format 1 proposal, which any other
    /// party could confirm and which then applied to every pair.
    pub with: Option<PartyId>,
    /// When.
    pub at: Timestamp,
    /// Whether it is still waiting (not confirmed or ended).
    pub open: bool,
}

impl Proposal {
    /// Whether this proposal concerns the pair `a`–`b` (a format 1 proposal concerns every pair).
    pub fn concerns(&self, a: &PartyId, b: &PartyId) -> bool {
        match &self.with {
            None => true,
            Some(w) => (&self.by == a && w == b) || (&self.by == b && w == a),
        }
    }
}

/// A period of mutual interest in a company, and the pair of parties it holds for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Designation {
    /// When it held.
    pub period: Interval,
    /// The pair, in sorted order (format 2); `None` for a format 1 designation, which held for
    /// every pair of the ledger.
    pub pair: Option<(PartyId, PartyId)>,
}

impl Designation {
    /// Whether it holds for the pair `a`–`b` (in either order).
    pub fn covers(&self, a: &PartyId, b: &PartyId) -> bool {
        match &self.pair {
            None => true,
            Some((x, y)) => (x == a && y == b) || (x == b && y == a),
        }
    }
}

/// The theme an act is about, if it is a theme act.
fn act_theme(act: &Act) -> Option<&ThemeId> {
    match act {
        Act::DeclareTheme { id, .. } | Act::RetireTheme { id } => Some(id),
        Act::AdoptPolicy(_) | Act::Designate { .. } => None,
    }
}

/// The sorted pair of two parties, as [`Designation::pair`] holds it.
pub fn pair_of(a: &PartyId, b: &PartyId) -> (PartyId, PartyId) {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

/// A company known to the ledger, with its designation history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompanyState {
    /// Latest name recorded.
    pub name: String,
    /// Proposals made.
    pub proposals: Vec<Proposal>,
    /// Periods of mutual interest (confirmed by the other party of the pair).
    pub mutual: Vec<Designation>,
}

/// What a format 2 proposal would do once every party it binds confirms it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Act {
    /// Bring a Collaboration Theme into force.
    DeclareTheme {
        /// The theme.
        id: ThemeId,
        /// Its title.
        title: String,
    },
    /// Retire a Collaboration Theme.
    RetireTheme {
        /// The theme.
        id: ThemeId,
    },
    /// Adopt a policy document.
    AdoptPolicy(PolicyDocument),
    /// Designate a company as of mutual interest to the proposer and the one party bound.
    Designate {
        /// The company.
        company: CompanyId,
    },
}

impl Act {
    /// What it does, in words.
    pub fn describe(&self) -> String {
        match self {
            Act::DeclareTheme { id, .. } => format!("declare theme {id}"),
            Act::RetireTheme { id } => format!("retire theme {id}"),
            Act::AdoptPolicy(p) => format!("adopt policy {:?}", p.label),
            Act::Designate { company } => format!("designate {company}"),
        }
    }
}

/// A format 2 proposal waiting for the parties it binds (2024 statement §2, §3: the
/// regulators identify themes and companies of mutual interest together).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingAct {
    /// What it would do.
    pub act: Act,
    /// Who proposed it.
    pub by: PartyId,
    /// Every other party it binds, each of which must confirm it.
    pub bound: Vec<PartyId>,
    /// Those that have confirmed so far.
    pub confirmed: Vec<PartyId>,
    /// The effective date the first confirmation stated (later ones must agree).
    pub effective_from: Option<Timestamp>,
}

impl PendingAct {
    /// The parties still to confirm.
    pub fn waiting(&self) -> impl Iterator<Item = &PartyId> {
        self.bound.iter().filter(|p| !self.confirmed.contains(p))
    }

    /// The parties still to confirm, in words: `ICO and CMA`.
    pub fn waiting_names(&self) -> String {
        self.waiting()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

/// Where a company stands in the designation register at a moment (statement §3), for any pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyStatus {
    /// Of mutual interest: proposed by one party, confirmed by another, not ended.
    Mutual,
    /// A proposal is waiting for the other party's confirmation.
    Proposed,
    /// It was of mutual interest, and the designation has ended.
    Ended,
    /// Proposed before, but never confirmed by another party (e.g. confirmed by its proposer).
    NotMutual,
    /// Never proposed: named in disclosures only.
    NotDesignated,
}

impl CompanyStatus {
    /// Plain words, for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CompanyStatus::Mutual => "mutual interest",
            CompanyStatus::Proposed => "proposed",
            CompanyStatus::Ended => "ended",
            CompanyStatus::NotMutual => "not mutual",
            CompanyStatus::NotDesignated => "not designated",
        }
    }
}

/// A disclosure's facts needed to check later entries that refer to it.
#[derive(Debug, Clone)]
pub struct DisclosureSummary {
    /// Sender.
    pub from: PartyId,
    /// Recipient.
    pub to: PartyId,
    /// When disclosed.
    pub disclosed_at: Timestamp,
    /// When recorded.
    pub recorded_at: Timestamp,
    /// First acknowledgement entry, if any.
    pub acknowledged: Option<(Seq, Timestamp)>,
    /// Corrections that supersede it.
    pub corrected_by: Vec<Seq>,
    /// For a format 2 correction's replacement (held as a disclosure of its own, at the
    /// correction's entry), the entry it supersedes.
    pub replaces: Option<Seq>,
}

impl DisclosureSummary {
    /// The summary of the disclosure `entry` records, as first recorded (no acknowledgement or
    /// correction yet): a disclosure's, or a format 2 correction's replacement, which the
    /// recipient acknowledges like any disclosure. `None` for any other entry.
    pub fn of(entry: &Entry) -> Option<DisclosureSummary> {
        let (d, replaces) = match &entry.body {
            Body::Disclosure(d) => (d, None),
            Body::Correction(c) if entry.version >= 2 => {
                (c.replacement.as_ref()?, Some(c.supersedes))
            }
            _ => return None,
        };
        Some(DisclosureSummary {
            from: d.from.clone(),
            to: d.to.clone(),
            disclosed_at: d.disclosed_at,
            recorded_at: entry.recorded_at,
            acknowledged: None,
            corrected_by: Vec::new(),
            replaces,
        })
    }
}

/// No acknowledgement, in [`Compact::ack_seq`].
const NOT_ACKNOWLEDGED: u64 = u64::MAX;

/// One disclosure as [`Disclosures`] holds it: 40 bytes, no heap.
#[derive(Debug, Clone, Copy)]
struct Compact {
    from: u16,
    to: u16,
    disclosed_at: i64,
    recorded_at: i64,
    /// The first acknowledgement, or [`NOT_ACKNOWLEDGED`].
    ack_seq: u64,
    ack_at: i64,
}

/// The summaries of disclosures by sequence number, kept compactly: a ledger of 10^6 entries
/// holds about half a million, and a hash map of full summaries took over 100 MB of `verify`'s
/// memory. Rows are kept in sequence order (disclosures are applied in order; an older one
/// loaded on demand is inserted in place), corrections (rare) in a map of their own.
#[derive(Debug, Clone, Default)]
pub struct Disclosures {
    /// Party ids, indexed by `Compact::from` and `to`.
    parties: Vec<PartyId>,
    seqs: Vec<u64>,
    rows: Vec<Compact>,
    corrected: HashMap<u64, Vec<Seq>>,
    /// Format 2 corrections held as disclosures of their own, with the entry each supersedes.
    replacements: HashMap<u64, u64>,
}

impl Disclosures {
    fn position(&self, seq: u64) -> Result<usize, usize> {
        match self.seqs.last() {
            Some(&last) if last < seq => Err(self.seqs.len()),
            _ => self.seqs.binary_search(&seq),
        }
    }

    fn party(&mut self, id: &PartyId) -> u16 {
        match self.parties.iter().position(|p| p == id) {
            Some(i) => i as u16,
            None => {
                self.parties.push(id.clone());
                (self.parties.len() - 1) as u16
            }
        }
    }

    /// Adds the summary of disclosure `seq` as first recorded (no acknowledgement or
    /// correction yet), from borrowed parts: applying an entry clones nothing.
    fn insert_recorded(
        &mut self,
        seq: Seq,
        d: &Disclosure,
        recorded_at: Timestamp,
        replaces: Option<Seq>,
    ) {
        let row = Compact {
            from: self.party(&d.from),
            to: self.party(&d.to),
            disclosed_at: d.disclosed_at.0,
            recorded_at: recorded_at.0,
            ack_seq: NOT_ACKNOWLEDGED,
            ack_at: 0,
        };
        self.place(seq, row, Vec::new(), replaces);
    }

    /// Puts row `row` for disclosure `seq` in sequence order (replacing one held), with its
    /// corrections and what it replaces.
    fn place(&mut self, seq: Seq, row: Compact, corrected_by: Vec<Seq>, replaces: Option<Seq>) {
        let seq = seq.0;
        match self.position(seq) {
            Ok(i) => self.rows[i] = row,
            Err(i) => {
                self.seqs.insert(i, seq);
                self.rows.insert(i, row);
            }
        }
        if corrected_by.is_empty() {
            self.corrected.remove(&seq);
        } else {
            self.corrected.insert(seq, corrected_by);
        }
        match replaces {
            Some(target) => self.replacements.insert(seq, target.0),
            None => self.replacements.remove(&seq),
        };
    }

    /// Adds (or replaces) the summary of disclosure `seq`.
    pub fn insert(&mut self, seq: Seq, d: DisclosureSummary) {
        let row = Compact {
            from: self.party(&d.from),
            to: self.party(&d.to),
            disclosed_at: d.disclosed_at.0,
            recorded_at: d.recorded_at.0,
            ack_seq: d.acknowledged.map_or(NOT_ACKNOWLEDGED, |(s, _)| s.0),
            ack_at: d.acknowledged.map_or(0, |(_, t)| t.0),
        };
        self.place(seq, row, d.corrected_by, d.replaces);
    }

    /// Records the acknowledgement `by` of disclosure `seq` at `at`, unless it has one already.
    pub fn acknowledge(&mut self, seq: Seq, by: Seq, at: Timestamp) {
        let seq = seq.0;
        if let Ok(i) = self.position(seq)
            && self.rows[i].ack_seq == NOT_ACKNOWLEDGED
        {
            self.rows[i].ack_seq = by.0;
            self.rows[i].ack_at = at.0;
        }
    }

    /// For a row that is a format 2 correction's replacement, the entry it supersedes.
    pub fn replaces(&self, seq: Seq) -> Option<Seq> {
        self.replacements.get(&seq.0).copied().map(Seq)
    }

    /// Records that correction `by` supersedes disclosure `seq`.
    pub fn correct(&mut self, seq: Seq, by: Seq) {
        let seq = seq.0;
        if self.position(seq).is_ok() {
            self.corrected.entry(seq).or_default().push(by);
        }
    }

    fn summary(&self, i: usize) -> DisclosureSummary {
        let r = self.rows[i];
        DisclosureSummary {
            from: self.parties[usize::from(r.from)].clone(),
            to: self.parties[usize::from(r.to)].clone(),
            disclosed_at: Timestamp(r.disclosed_at),
            recorded_at: Timestamp(r.recorded_at),
            acknowledged: (r.ack_seq != NOT_ACKNOWLEDGED)
                .then_some((Seq(r.ack_seq), Timestamp(r.ack_at))),
            corrected_by: self
                .corrected
                .get(&self.seqs[i])
                .cloned()
                .unwrap_or_default(),
            replaces: self.replaces(Seq(self.seqs[i])),
        }
    }

    /// The summary of disclosure `seq`, if held.
    pub fn get(&self, seq: Seq) -> Option<DisclosureSummary> {
        self.position(seq.0).ok().map(|i| self.summary(i))
    }

    /// The first acknowledgement of disclosure `seq`, if it is held and acknowledged.
    pub fn acknowledged(&self, seq: Seq) -> Option<(Seq, Timestamp)> {
        let r = self.rows[self.position(seq.0).ok()?];
        (r.ack_seq != NOT_ACKNOWLEDGED).then_some((Seq(r.ack_seq), Timestamp(r.ack_at)))
    }

    /// Whether disclosure `seq` is held.
    pub fn contains(&self, seq: Seq) -> bool {
        self.position(seq.0).is_ok()
    }

    /// Every disclosure held, in sequence order.
    pub fn iter(&self) -> impl Iterator<Item = (Seq, DisclosureSummary)> + '_ {
        (0..self.seqs.len()).map(|i| (Seq(self.seqs[i]), self.summary(i)))
    }

    /// How many are held.
    pub fn len(&self) -> usize {
        self.seqs.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.seqs.is_empty()
    }
}

/// The compact record of every entry kept during replay (two words per entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntrySummary {
    /// Its kind.
    pub kind: EntryKind,
    /// Index of its signing party in `Registers::party_order`.
    pub signer: u16,
}

/// The summaries of entries: dense from some entry on (those applied since the registers were
/// built), plus any older ones loaded one by one because an append refers to them.
#[derive(Debug, Clone, Default)]
pub struct EntryIndex {
    /// Sequence number of `dense[0]`.
    from: u64,
    /// Summaries of the entries applied, indexed by `seq - from`.
    dense: Vec<Option<EntrySummary>>,
    /// Summaries of entries before `from`, loaded on demand.
    loaded: HashMap<u64, EntrySummary>,
}

impl EntryIndex {
    fn get(&self, seq: u64) -> Option<EntrySummary> {
        if seq >= self.from {
            usize::try_from(seq - self.from)
                .ok()
                .and_then(|i| self.dense.get(i).copied().flatten())
        } else {
            self.loaded.get(&seq).copied()
        }
    }

    fn set(&mut self, seq: u64, summary: EntrySummary) {
        if seq < self.from {
            self.loaded.insert(seq, summary);
            return;
        }
        // A number far beyond the last one (only a forged entry has one) is not recorded, so it
        // cannot make the index allocate without bound.
        if let Ok(i) = usize::try_from(seq - self.from)
            && i <= self.dense.len() + MAX_SEQ_JUMP
        {
            if i >= self.dense.len() {
                self.dense.resize(i + 1, None);
            }
            self.dense[i] = Some(summary);
        }
    }
}

/// The registers that do not grow with every entry: what a [`Snapshot`] saves. Field order
/// is the snapshot's byte order (docs/FORMAT.md, "Register snapshot").
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SmallRegisters {
    /// The last entry applied: its sequence number, hash and time.
    pub head: Option<(Seq, [u8; 32], Timestamp)>,
    /// The ledger's origin line (from genesis).
    pub origin: Option<String>,
    /// Parties and keys.
    pub parties: BTreeMap<PartyId, PartyState>,
    /// Parties in the order first seen, for compact summaries.
    pub party_order: Vec<PartyId>,
    /// Collaboration Themes.
    pub themes: BTreeMap<ThemeId, ThemeState>,
    /// Companies.
    pub companies: BTreeMap<CompanyId, CompanyState>,
    /// Policies adopted, in order, with the entry that adopted each (for a format 2 adoption,
    /// the proposal entry; it is listed once every party has confirmed it).
    pub policies: Vec<(Seq, PolicyDocument)>,
    /// Every key addition, rotation and revocation entry, in order.
    pub key_entries: Vec<Seq>,
    /// Format 2 proposals still waiting for confirmation, by proposal entry.
    pub pending: BTreeMap<Seq, PendingAct>,
    /// The format version of the last entry applied (no later entry may have a lower one).
    pub format: u16,
}

/// Everything derived from replaying the log up to some entry: the small registers (read
/// through `Deref`: `reg.parties`, `reg.themes`, ...) and the per-entry summaries.
#[derive(Debug, Clone, Default)]
pub struct Registers {
    small: SmallRegisters,
    /// One summary per entry applied (see [`Registers::entry`]).
    entries: EntryIndex,
    /// Disclosures by sequence number: all of them after a full replay; after
    /// [`Registers::from_snapshot`], those recorded since plus any loaded on demand.
    pub disclosures: Disclosures,
    /// The open proposal about each theme (derived from `pending`, never saved): finding it
    /// must not take a scan of every open proposal, which a hostile file could make long.
    theme_proposals: HashMap<ThemeId, Seq>,
}

impl std::ops::Deref for Registers {
    type Target = SmallRegisters;
    fn deref(&self) -> &SmallRegisters {
        &self.small
    }
}

impl std::ops::DerefMut for Registers {
    fn deref_mut(&mut self) -> &mut SmallRegisters {
        &mut self.small
    }
}

/// The version of the [`Snapshot`] layout; a snapshot of another version is ignored (the
/// registers are then replayed).
pub const SNAPSHOT_VERSION: u16 = 3;

/// The small registers as saved in the ledger file with each commit: everything but the
/// per-entry summaries, which are O(n). Layout: docs/FORMAT.md, "Register snapshot".
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    /// [`SNAPSHOT_VERSION`].
    pub version: u16,
    /// The registers.
    pub registers: SmallRegisters,
}

impl std::ops::Deref for Snapshot {
    type Target = SmallRegisters;
    fn deref(&self) -> &SmallRegisters {
        &self.registers
    }
}

impl Registers {
    /// Whether `key_id` may sign for `party` at entry `seq`.
    pub fn key_status(&self, party: &PartyId, key_id: KeyId, seq: Seq) -> KeyStatus {
        let Some(state) = self.parties.get(party) else {
            return KeyStatus::UnknownParty;
        };
        match state.keys.get(&key_id) {
            None => KeyStatus::UnknownKey,
            Some(k) if k.added_at >= seq => KeyStatus::UnknownKey,
            Some(k) => match k.ended_at {
                Some(end) if end < seq => KeyStatus::Ended(end),
                _ => KeyStatus::Valid,
            },
        }
    }

    /// The decoded public key of `party`'s key `key_id`, if recorded and well-formed.
    pub fn public_key(&self, party: &PartyId, key_id: KeyId) -> Option<&PublicKey> {
        self.parties.get(party)?.keys.get(&key_id)?.key.as_ref()
    }

    /// The id of `party`'s key named `name` (valid or not), if it has one.
    pub fn key_named(&self, party: &PartyId, name: &str) -> Option<KeyId> {
        self.parties
            .get(party)?
            .keys
            .iter()
            .find(|(_, k)| k.key.as_ref().is_some_and(|p| p.name == name))
            .map(|(id, _)| *id)
    }

    /// Which party, if any, holds the key `key_id` (valid or not).
    pub fn party_of_key(&self, key_id: KeyId) -> Option<&PartyId> {
        self.parties
            .iter()
            .find(|(_, p)| p.keys.contains_key(&key_id))
            .map(|(id, _)| id)
    }

    /// Where company `id` stands in the designation register at `at`, for any pair (`None`:
    /// unknown company).
    pub fn company_status(&self, id: &CompanyId, at: Timestamp) -> Option<CompanyStatus> {
        let c = self.companies.get(id)?;
        Some(if self.is_mutual_any(id, at) {
            CompanyStatus::Mutual
        } else if self.proposal_open_any(id) {
            CompanyStatus::Proposed
        } else if !c.mutual.is_empty() {
            CompanyStatus::Ended
        } else if !c.proposals.is_empty() {
            CompanyStatus::NotMutual
        } else {
            CompanyStatus::NotDesignated
        })
    }

    /// Whether theme `id` was in force at `at`.
    pub fn theme_in_force(&self, id: &ThemeId, at: Timestamp) -> bool {
        self.themes
            .get(id)
            .is_some_and(|t| t.in_force.iter().any(|i| i.contains(at)))
    }

    /// Whether `company` was of mutual interest to the pair `a`–`b` at `at` (statement §3: only
    /// the pair decides).
    pub fn is_mutual(&self, company: &CompanyId, a: &PartyId, b: &PartyId, at: Timestamp) -> bool {
        self.companies.get(company).is_some_and(|c| {
            c.mutual
                .iter()
                .any(|d| d.period.contains(at) && d.covers(a, b))
        })
    }

    /// Whether `company` was of mutual interest to some pair at `at`.
    pub fn is_mutual_any(&self, company: &CompanyId, at: Timestamp) -> bool {
        self.companies
            .get(company)
            .is_some_and(|c| c.mutual.iter().any(|d| d.period.contains(at)))
    }

    /// Whether any proposal to designate `company` is open, for whatever pair.
    pub fn proposal_open_any(&self, company: &CompanyId) -> bool {
        self.companies
            .get(company)
            .is_some_and(|c| c.proposals.iter().any(|p| p.open))
    }

    /// Whether a proposal to designate `company` for the pair `a`–`b` is open.
    pub fn proposal_open(&self, company: &CompanyId, a: &PartyId, b: &PartyId) -> bool {
        self.companies
            .get(company)
            .is_some_and(|c| c.proposals.iter().any(|p| p.open && p.concerns(a, b)))
    }

    /// The open format 2 proposal, if any, that would act on theme `id`.
    pub fn pending_for_theme(&self, id: &ThemeId) -> Option<(Seq, &PendingAct)> {
        let seq = *self.theme_proposals.get(id)?;
        self.pending.get(&seq).map(|p| (seq, p))
    }

    /// The policy in force at `at`: the latest adopted whose effective date is not after `at`.
    pub fn policy_at(&self, at: Timestamp) -> Option<&PolicyDocument> {
        self.policies
            .iter()
            .rev()
            .map(|(_, p)| p)
            .find(|p| p.effective_from <= at)
            .or_else(|| self.policies.first().map(|(_, p)| p))
    }

    /// The summary of entry `seq`, if it has been applied (or loaded).
    pub fn entry(&self, seq: Seq) -> Option<EntrySummary> {
        self.entries.get(seq.0)
    }

    /// Whether entry `seq` comes before these registers' per-entry summaries begin, so its
    /// summary must be loaded from the file ([`Registers::insert_loaded`]) before it is asked for.
    pub fn needs_loading(&self, seq: Seq) -> bool {
        seq.0 < self.entries.from && !self.entries.loaded.contains_key(&seq.0)
    }

    /// Adds the summary of an older entry read from the file, and its disclosure summary if it
    /// is a disclosure.
    pub fn insert_loaded(
        &mut self,
        seq: Seq,
        kind: EntryKind,
        signer: &PartyId,
        disclosure: Option<DisclosureSummary>,
    ) {
        let signer = self.party_index(signer);
        self.entries.set(seq.0, EntrySummary { kind, signer });
        if let Some(d) = disclosure {
            self.disclosures.insert(seq, d);
        }
    }

    /// The small registers, to save with a commit.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            registers: self.small.clone(),
        }
    }

    /// Registers rebuilt from a saved snapshot. Per-entry summaries start after its head; older
    /// ones are loaded on demand.
    pub fn from_snapshot(s: Snapshot) -> Registers {
        let mut small = s.registers;
        for p in small.parties.values_mut() {
            for k in p.keys.values_mut() {
                k.key = PublicKey::from_record(&k.record).ok();
            }
        }
        // As `propose` keeps them: the first open proposal about each theme.
        let mut theme_proposals = HashMap::new();
        for (seq, p) in &small.pending {
            if let Some(t) = act_theme(&p.act) {
                theme_proposals.entry(t.clone()).or_insert(*seq);
            }
        }
        Registers {
            entries: EntryIndex {
                from: small.head.map_or(0, |(seq, _, _)| seq.0 + 1),
                ..EntryIndex::default()
            },
            small,
            disclosures: Disclosures::default(),
            theme_proposals,
        }
    }

    /// The party at index `i` of `party_order`.
    pub fn party_at(&self, i: u16) -> Option<&PartyId> {
        self.party_order.get(usize::from(i))
    }

    fn party_index(&mut self, party: &PartyId) -> u16 {
        if let Some(i) = self.party_order.iter().position(|p| p == party) {
            return i as u16;
        }
        self.party_order.push(party.clone());
        (self.party_order.len() - 1) as u16
    }

    fn add_key(&mut self, party: &PartyId, record: &PublicKeyRecord, seq: Seq) {
        if let Some(p) = self.parties.get_mut(party) {
            p.keys.entry(record.key_id).or_insert_with(|| KeyState {
                record: record.clone(),
                key: PublicKey::from_record(record).ok(),
                added_at: seq,
                ended_at: None,
            });
        }
    }

    fn end_key(&mut self, party: &PartyId, key_id: KeyId, seq: Seq) {
        if let Some(k) = self
            .parties
            .get_mut(party)
            .and_then(|p| p.keys.get_mut(&key_id))
        {
            k.ended_at.get_or_insert(seq);
        }
    }

    /// Applies one entry (whose hash is `hash`) to the registers.
    pub fn apply(&mut self, entry: &Entry, hash: [u8; 32]) {
        let seq = entry.seq;
        let at = entry.recorded_at;
        let signer = self.party_index(&entry.signer.party);
        let joint = entry.version >= 2;
        let by = &entry.signer.party;
        self.format = self.format.max(entry.version);
        match &entry.body {
            Body::Genesis(g) => {
                self.origin.get_or_insert_with(|| g.origin.clone());
                for p in &g.parties {
                    self.party_index(&p.id);
                    self.parties.entry(p.id.clone()).or_insert(PartyState {
                        name: p.name.clone(),
                        keys: BTreeMap::new(),
                    });
                    self.add_key(&p.id, &p.trust_root, seq);
                }
                self.policies.push((seq, g.policy.clone()));
            }
            Body::KeyAdded(k) => {
                self.key_entries.push(seq);
                self.add_key(&k.party, &k.key, seq);
            }
            Body::KeyRotated(k) => {
                self.key_entries.push(seq);
                self.end_key(&k.party, k.old, seq);
                self.add_key(&k.party, &k.new, seq);
            }
            Body::KeyRevoked(k) => {
                self.key_entries.push(seq);
                self.end_key(&k.party, k.key_id, seq);
            }
            Body::PolicyAdopted(p) if joint => {
                let bound = self.bound_by(by, at, Some(p));
                self.propose(seq, at, by, Act::AdoptPolicy(p.clone()), bound);
            }
            Body::PolicyAdopted(p) => self.policies.push((seq, p.clone())),
            Body::ThemeDeclared(t) if joint => {
                let act = Act::DeclareTheme {
                    id: t.id.clone(),
                    title: t.title.clone(),
                };
                let bound = self.bound_by(by, at, None);
                self.propose(seq, at, by, act, bound);
            }
            Body::ThemeDeclared(t) => self.declare_theme(&t.id, &t.title, at),
            Body::ThemeRetired(t) if joint => {
                let act = Act::RetireTheme { id: t.id.clone() };
                let bound = self.bound_by(by, at, None);
                self.propose(seq, at, by, act, bound);
            }
            Body::ThemeRetired(t) => self.retire_theme(&t.id, at),
            Body::DesignationProposed(d) => {
                let c = self.company_mut(&d.company.id, &d.company.name);
                c.name = d.company.name.clone();
                c.proposals.push(Proposal {
                    seq,
                    by: by.clone(),
                    with: d.with.clone(),
                    at,
                    open: true,
                });
                if let Some(with) = &d.with {
                    let act = Act::Designate {
                        company: d.company.id.clone(),
                    };
                    self.propose(seq, at, by, act, vec![with.clone()]);
                }
            }
            Body::DesignationConfirmed(d) => {
                if let Some(c) = self.companies.get_mut(&d.company)
                    && let Some(p) = c.proposals.iter_mut().find(|p| p.seq == d.proposal)
                    && p.open
                    && p.with.is_none()
                {
                    p.open = false;
                    // Format 1: mutual (for every pair) only when a party other than the
                    // proposer confirms (statement §3); a self-confirmation closes the proposal.
                    let already = c.mutual.last().is_some_and(|d| d.period.until.is_none());
                    if &p.by != by && !already {
                        c.mutual.push(Designation {
                            period: Interval {
                                from: at,
                                until: None,
                            },
                            pair: None,
                        });
                    }
                }
            }
            Body::DesignationEnded(d) => {
                if let Some(c) = self.companies.get_mut(&d.company) {
                    // Format 1 (no pair named) ends every designation of the company.
                    let with = d.with.as_ref();
                    for m in &mut c.mutual {
                        if m.period.until.is_none() && with.is_none_or(|w| m.covers(by, w)) {
                            m.period.until = Some(at);
                        }
                    }
                    let mut closed = Vec::new();
                    for p in &mut c.proposals {
                        if p.open && with.is_none_or(|w| p.concerns(by, w)) {
                            p.open = false;
                            closed.push(p.seq);
                        }
                    }
                    for s in closed {
                        self.small.pending.remove(&s);
                    }
                }
            }
            Body::Confirmed(c) => self.confirm(c.proposal, by, c.effective_from),
            Body::Disposition(_) | Body::Erasure(_) | Body::Refusal(_) => {}
            Body::Disclosure(d) => {
                for company in d.category.companies() {
                    self.company_mut(&company.id, &company.name);
                }
                self.disclosures.insert_recorded(seq, d, at, None);
            }
            Body::Acknowledgement(a) => {
                self.disclosures.acknowledge(a.disclosure, seq, at);
            }
            Body::Correction(c) => {
                self.disclosures.correct(c.supersedes, seq);
                if let Some(r) = &c.replacement {
                    for company in r.category.companies() {
                        self.company_mut(&company.id, &company.name);
                    }
                }
                // Format 2: a replacement is a disclosure of its own, which the recipient
                // acknowledges like any other.
                if let (true, Some(r)) = (joint, &c.replacement) {
                    self.disclosures
                        .insert_recorded(seq, r, at, Some(c.supersedes));
                }
            }
        }
        self.entries.set(
            seq.0,
            EntrySummary {
                kind: entry.body.kind(),
                signer,
            },
        );
        self.head = Some((seq, hash, at));
    }

    /// Whom a theme or policy act proposed by `by` at `at` binds, besides `by`: the parties of
    /// the ledger that the policy in force names, and for a policy adoption those the new
    /// document names too (2024 statement §2: the regulators of the arrangement act together).
    /// A policy that cannot be read binds every party of the ledger.
    pub fn bound_by(
        &self,
        by: &PartyId,
        at: Timestamp,
        adopting: Option<&PolicyDocument>,
    ) -> Vec<PartyId> {
        let named = |doc: &PolicyDocument| {
            crate::policy::Policy::parse(&doc.text)
                .ok()
                .map(|p| p.parties.into_keys().collect::<Vec<_>>())
        };
        let mut parties: Option<Vec<PartyId>> = self.policy_at(at).and_then(named);
        if let (Some(list), Some(doc)) = (parties.as_mut(), adopting) {
            match named(doc) {
                Some(more) => list.extend(more),
                None => parties = None,
            }
        }
        self.parties
            .keys()
            .filter(|p| *p != by)
            .filter(|p| parties.as_ref().is_none_or(|list| list.contains(p)))
            .cloned()
            .collect()
    }

    fn propose(&mut self, seq: Seq, at: Timestamp, by: &PartyId, act: Act, bound: Vec<PartyId>) {
        let nobody_else = bound.is_empty();
        if let Some(theme) = act_theme(&act) {
            // The first open proposal about a theme is the one a later one is refused for.
            self.theme_proposals.entry(theme.clone()).or_insert(seq);
        }
        self.small.pending.insert(
            seq,
            PendingAct {
                act,
                by: by.clone(),
                bound,
                confirmed: Vec::new(),
                effective_from: None,
            },
        );
        // An act that binds nobody else takes effect at once (there is no one to confirm it).
        if nobody_else {
            self.enact(seq, at);
        }
    }

    /// `by` confirms proposal `proposal`; once every bound party has, the act takes effect.
    fn confirm(&mut self, proposal: Seq, by: &PartyId, effective_from: Timestamp) {
        let Some(p) = self.small.pending.get_mut(&proposal) else {
            return;
        };
        if !p.bound.contains(by) || p.confirmed.contains(by) {
            return;
        }
        p.confirmed.push(by.clone());
        let from = *p.effective_from.get_or_insert(effective_from);
        if p.waiting().next().is_none() {
            self.enact(proposal, from);
        }
    }

    /// Proposal `proposal` takes effect from `from`.
    fn enact(&mut self, proposal: Seq, from: Timestamp) {
        let Some(done) = self.small.pending.remove(&proposal) else {
            return;
        };
        if let Some(theme) = act_theme(&done.act)
            && self.theme_proposals.get(theme) == Some(&proposal)
        {
            self.theme_proposals.remove(theme);
        }
        match done.act {
            Act::DeclareTheme { id, title } => self.declare_theme(&id, &title, from),
            Act::RetireTheme { id } => self.retire_theme(&id, from),
            Act::AdoptPolicy(doc) => self.policies.push((proposal, doc)),
            Act::Designate { company } => {
                if let Some(c) = self.small.companies.get_mut(&company)
                    && let Some(prop) = c.proposals.iter_mut().find(|x| x.seq == proposal)
                {
                    prop.open = false;
                    let pair = prop.with.as_ref().map(|w| pair_of(&prop.by, w));
                    c.mutual.push(Designation {
                        period: Interval { from, until: None },
                        pair,
                    });
                }
            }
        }
    }

    fn declare_theme(&mut self, id: &ThemeId, title: &str, from: Timestamp) {
        let state = self.themes.entry(id.clone()).or_insert(ThemeState {
            title: title.to_owned(),
            in_force: Vec::new(),
        });
        state.title = title.to_owned();
        if state.in_force.last().is_none_or(|i| i.until.is_some()) {
            state.in_force.push(Interval { from, until: None });
        }
    }

    fn retire_theme(&mut self, id: &ThemeId, at: Timestamp) {
        if let Some(last) = self.themes.get_mut(id).and_then(|s| s.in_force.last_mut()) {
            last.until.get_or_insert(at);
        }
    }

    fn company_mut(&mut self, id: &CompanyId, name: &str) -> &mut CompanyState {
        // Look up first: cloning the id for `entry` on every disclosure is measurable at scale.
        if !self.companies.contains_key(id) {
            self.companies.insert(
                id.clone(),
                CompanyState {
                    name: name.to_owned(),
                    proposals: Vec::new(),
                    mutual: Vec::new(),
                },
            );
        }
        self.companies.get_mut(id).expect("just ensured")
    }
}
