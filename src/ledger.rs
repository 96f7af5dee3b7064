//! The ledger as a recording officer uses it: create, open, and append entries that have been
//! checked against everything recorded before them.
//!
//! Data flows one way: input → model (validated here) → codec → sign → store. An append either
//! writes every record it was given, durably, or writes nothing.

use std::path::Path;
use std::sync::Arc;

use crate::codec::{self, DecodeError, EncodeError};
use crate::hash::{leaf_hash, sha256};
use crate::input::{DisclosureInput, InputError, ParsedDisclosure};
use crate::integrity::IntegrityKind;
use crate::keys::{PublicKey, SecretKey};
use crate::model::{
    Acknowledgement, Body, CompanyId, CompanyRef, Correction, DesignationConfirmed,
    DesignationEnded, DesignationProposed, Entry, EntryHash, EntryKind, FORMAT_VERSION, Genesis,
    KeyAdded, KeyId, KeyRevoked, KeyRotated, PartyId, PartyRecord, PolicyDocument, Seq, Signer,
    ThemeDeclared, ThemeId, ThemeRetired, Timestamp,
};
use crate::registers::{DisclosureSummary, KeyStatus, Registers};
use crate::rules;
use crate::store::{
    Access, IndexUpdate, NewRecord, OpenError, Store, StoreAppendError, StoreError, VaultItem,
};

/// How far in the future (seconds) a disclosure date may be, to allow for clock skew.
pub const FUTURE_TOLERANCE_SECS: i64 = 300;

/// A party to name in a new ledger.
#[derive(Debug, Clone)]
pub struct PartyInit {
    /// Short id.
    pub id: PartyId,
    /// Full name.
    pub name: String,
    /// Trust-root public key.
    pub key: PublicKey,
}

/// Why a ledger could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The file could not be created.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The genesis entry would be invalid.
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// Why an entry was not appended. When this is returned, nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The ledger could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The input is malformed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A party that the ledger does not know.
    #[error(
        "{party} is not a party to this ledger (parties: {known}); check the spelling, e.g. ICO or OFCOM"
    )]
    UnknownParty {
        /// The party given.
        party: PartyId,
        /// The parties known.
        known: String,
    },
    /// From and to are the same party.
    #[error("a disclosure goes from one party to another, but both are {0}")]
    SameParty(PartyId),
    /// A theme never declared in the ledger.
    #[error(
        "theme {theme} is not in the ledger's register of Collaboration Themes (known: {known}); \
         check the id, or declare it first with `dledger theme declare {theme} --title ...`"
    )]
    UnknownTheme {
        /// Theme given.
        theme: ThemeId,
        /// Themes known.
        known: String,
    },
    /// A company never recorded in the ledger.
    #[error(
        "company {company} is not in the ledger; check the id with `dledger list --companies`, or \
         introduce it with its name as --company \"{company}=Company Name Ltd\""
    )]
    UnknownCompany {
        /// Company given.
        company: CompanyId,
    },
    /// A new company id that is already taken.
    #[error(
        "company {company} is already recorded as {registered:?}, not {given:?}; pass just \
         --company {company}, or choose a different id for a different company"
    )]
    CompanyNameMismatch {
        /// The id.
        company: CompanyId,
        /// Name on record.
        registered: String,
        /// Name given.
        given: String,
    },
    /// A date after now.
    #[error(
        "{field} is {value}, which is in the future (now is {now}); a disclosure can only be \
         recorded once it has happened. Check the date and time zone"
    )]
    FutureDate {
        /// Which date.
        field: &'static str,
        /// Its value.
        value: Timestamp,
        /// The time now.
        now: Timestamp,
    },
    /// The signing key is not a key of the party the entry is for.
    #[error(
        "key {key_name} ({key_id}) is not a key of {party}{holder}; sign with one of {party}'s \
         own keys (--key FILE)"
    )]
    WrongKey {
        /// Key name.
        key_name: String,
        /// Key id.
        key_id: KeyId,
        /// The party the entry is for.
        party: PartyId,
        /// ", it belongs to X" or "".
        holder: String,
    },
    /// The signing key is known but not valid now.
    #[error("key {key_id} of {party} was rotated or revoked at {at}; sign with a current key")]
    KeyEnded {
        /// Key id.
        key_id: KeyId,
        /// Party.
        party: PartyId,
        /// Entry that ended it.
        at: Seq,
    },
    /// A referenced entry is missing or of the wrong kind.
    #[error("{seq} {problem}; check the number with `dledger list`")]
    BadReference {
        /// The entry referred to.
        seq: Seq,
        /// What is wrong with it.
        problem: String,
    },
    /// The request conflicts with the registers (theme already in force, no open proposal, ...).
    #[error("{0}")]
    Conflict(String),
    /// The entry breaks a structural rule.
    #[error("refusing to record an entry that would fail verification ({kind}): {message}")]
    Rule {
        /// The rule.
        kind: IntegrityKind,
        /// Details.
        message: String,
    },
    /// The existing ledger does not replay cleanly; appending to it would hide the damage.
    #[error(
        "the ledger is damaged at {seq} ({reason}); nothing was written. Run `dledger verify` \
         for the full report"
    )]
    Damaged {
        /// First damaged entry.
        seq: Seq,
        /// What is wrong.
        reason: String,
    },
    /// The entry cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreAppendError),
}

impl From<StoreError> for AppendError {
    fn from(e: StoreError) -> Self {
        AppendError::Store(StoreAppendError::Storage(e))
    }
}

/// What an append returns: where the entry went and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Its sequence number.
    pub seq: Seq,
    /// Its entry hash.
    pub hash: EntryHash,
    /// Its recorded time.
    pub recorded_at: Timestamp,
}

/// A ledger ready for appending, with its registers loaded.
///
/// Opening reads the file through a read-only handle: the register snapshot saved by the last
/// commit, plus any entries appended after it (a full replay only for a file without a valid
/// snapshot), so opening costs O(log n) rather than O(n). Everything is checked against the
/// registers first; the file is opened for writing only for the moment of an append, so input
/// that is refused leaves the file byte-for-byte unchanged and a writer holds the lock briefly.
pub struct Ledger {
    path: std::path::PathBuf,
    reg: Registers,
    wait: std::time::Duration,
    /// The write handle while a [`Batch`] is open (shared with a write in flight, see
    /// [`Batch::flush_in_background`]).
    writer: Option<Arc<Store>>,
    /// Derived data not yet saved in the file.
    index: IndexState,
}

/// References of entries applied to the registers but not yet saved in the references table,
/// and whether the table must be rebuilt from them (after a full replay).
#[derive(Debug, Clone, Default)]
struct IndexState {
    pending: Vec<(u64, u64)>,
    rebuild: bool,
}

/// What an append needs to know about an earlier entry it refers to.
#[derive(Debug, Clone)]
struct Fact {
    kind: EntryKind,
    signer: PartyId,
    disclosure: Option<DisclosureSummary>,
}

/// A body to append, with the vault items that go with it.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The body.
    pub body: Body,
    /// (field name, salt ‖ value) pairs for the vault.
    pub vault: Vec<VaultItem>,
}

impl From<Body> for Pending {
    fn from(body: Body) -> Self {
        Pending {
            body,
            vault: Vec::new(),
        }
    }
}

/// Builds a policy document record from its text.
pub fn policy_document(label: &str, effective_from: Timestamp, text: &str) -> PolicyDocument {
    PolicyDocument {
        label: label.to_owned(),
        effective_from,
        sha256: sha256(text.as_bytes()),
        text: text.to_owned(),
    }
}

/// A new random 32-byte salt for a field commitment (docs/FORMAT.md §7.3).
pub fn fresh_salt() -> [u8; 32] {
    let mut s = [0u8; 32];
    rand::fill(&mut s[..]);
    s
}

impl Ledger {
    /// Creates a ledger at `path` with its genesis entry, signed by `key` (a trust root of one of
    /// `parties`). Nothing is left behind if this fails.
    pub fn create(
        path: &Path,
        origin: &str,
        parties: &[PartyInit],
        policy: PolicyDocument,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Ledger, InitError> {
        let signer = parties
            .iter()
            .find(|p| p.key.key_id == key.public().key_id)
            .ok_or_else(|| AppendError::WrongKey {
                key_name: key.public().name.clone(),
                key_id: key.public().key_id,
                party: parties
                    .first()
                    .map(|p| p.id.clone())
                    .unwrap_or_else(|| PartyId::new("XX").expect("valid")),
                holder: " nor of any party named in --party".into(),
            })?;
        let genesis = Genesis {
            origin: origin.to_owned(),
            parties: parties
                .iter()
                .map(|p| PartyRecord {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    trust_root: p.key.record(),
                })
                .collect(),
            policy,
        };
        let entry = Entry {
            version: FORMAT_VERSION,
            seq: Seq(0),
            prev: EntryHash::ZERO,
            recorded_at: now,
            signer: Signer {
                party: signer.id.clone(),
                key_id: key.public().key_id,
            },
            body: Body::Genesis(genesis),
        };
        if let Some((kind, message)) = rules::check_entry(&Registers::default(), &entry)
            .into_iter()
            .next()
        {
            return Err(AppendError::Rule { kind, message }.into());
        }
        let record = seal(&entry, key, Vec::new()).map_err(AppendError::from)?;
        let mut reg = Registers::default();
        reg.apply(&entry, record.0.hash);
        let index = IndexUpdate {
            snapshot: codec::encode_snapshot(&reg.snapshot()).map_err(AppendError::from)?,
            references: Vec::new(),
            rebuild: true,
        };
        let store = Store::create(path)?;
        if let Err(e) = store.append_indexed(std::slice::from_ref(&record.0), Some(&index)) {
            drop(store);
            let _ = std::fs::remove_file(path);
            return Err(AppendError::from(e).into());
        }
        Ok(Ledger {
            path: path.to_owned(),
            reg,
            wait: std::time::Duration::ZERO,
            writer: None,
            index: IndexState::default(),
        })
    }

    /// Opens a ledger for appending: loads the saved register snapshot and applies any entries
    /// recorded after it (replaying the whole log only when there is no valid snapshot).
    /// Refuses a ledger whose entries since the snapshot do not replay cleanly (undecodable
    /// entry, gap, broken chain): appending would hide the damage.
    pub fn open(path: &Path) -> Result<Ledger, AppendError> {
        let store = Store::open(path, Access::ReadOnly)?;
        let (reg, index) = load(&store).map_err(damaged)?;
        Ok(Ledger {
            path: path.to_owned(),
            reg,
            wait: std::time::Duration::ZERO,
            writer: None,
            index,
        })
    }

    /// The registers as replayed up to the last entry.
    pub fn registers(&self) -> &Registers {
        &self.reg
    }

    /// When another process holds the write lock, keep retrying for up to `wait` before
    /// giving up with "locked" (default: give up at once).
    pub fn set_wait(&mut self, wait: std::time::Duration) {
        self.wait = wait;
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next sequence number.
    pub fn next_seq(&self) -> Seq {
        self.reg.head.map_or(Seq(0), |(s, _, _)| s.next())
    }

    /// The party that holds `key`, checking the key is valid for the next entry.
    pub fn party_of(&self, key: &SecretKey) -> Result<PartyId, AppendError> {
        let id = key.public().key_id;
        let party = self
            .reg
            .party_of_key(id)
            .cloned()
            .ok_or_else(|| AppendError::WrongKey {
                key_name: key.public().name.clone(),
                key_id: id,
                party: PartyId::new("ANY").expect("valid"),
                holder: String::new(),
            });
        let party = match party {
            Ok(p) => p,
            Err(_) => {
                return Err(AppendError::Conflict(format!(
                    "key {} ({id}) is not registered for any party of this ledger; sign with a \
                     key listed by `dledger list --keys`",
                    key.public().name
                )));
            }
        };
        self.check_key(&party, key)?;
        Ok(party)
    }

    fn check_key(&self, party: &PartyId, key: &SecretKey) -> Result<(), AppendError> {
        let id = key.public().key_id;
        match self.reg.key_status(party, id, self.next_seq()) {
            KeyStatus::Valid => {
                // The key on record must be this very key, not just one with the same id.
                let on_record = self.reg.public_key(party, id);
                if on_record.is_some_and(|k| k.key != key.public().key) {
                    return Err(AppendError::WrongKey {
                        key_name: key.public().name.clone(),
                        key_id: id,
                        party: party.clone(),
                        holder: " (its id collides with a registered key)".into(),
                    });
                }
                Ok(())
            }
            KeyStatus::UnknownParty => Err(self.unknown_party(party)),
            KeyStatus::Ended(at) => Err(AppendError::KeyEnded {
                key_id: id,
                party: party.clone(),
                at,
            }),
            KeyStatus::UnknownKey => Err(AppendError::WrongKey {
                key_name: key.public().name.clone(),
                key_id: id,
                party: party.clone(),
                holder: match self.reg.party_of_key(id) {
                    Some(p) => format!(", it belongs to {p}"),
                    None => String::new(),
                },
            }),
        }
    }

    fn unknown_party(&self, party: &PartyId) -> AppendError {
        AppendError::UnknownParty {
            party: party.clone(),
            known: self
                .reg
                .parties
                .keys()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// Appends one body signed by `key`, durably.
    pub fn append(
        &mut self,
        pending: Pending,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Receipt, AppendError> {
        Ok(self
            .append_batch(vec![pending], key, now)?
            .pop()
            .expect("one receipt per entry"))
    }

    /// Appends several bodies signed by `key` in one durable transaction: all or none.
    pub fn append_batch(
        &mut self,
        pending: Vec<Pending>,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Vec<Receipt>, AppendError> {
        // A key that may not sign is refused before the write lock is taken: opening the file
        // for writing rewrites its header, and refused input must leave it byte-for-byte
        // unchanged (tests/keys_e2e.rs).
        self.party_of(key)?;
        let mut batch = self.begin()?;
        batch.push_many(pending.into_iter().map(|p| (p, key)).collect(), now)?;
        batch.commit()
    }

    /// Starts a batch: takes the write lock, catches up with any entries another writer added
    /// since this ledger was opened, and returns a [`Batch`] to push entries into.
    pub fn begin(&mut self) -> Result<Batch<'_>, AppendError> {
        // The write lock is taken only now. If another writer appended since we replayed,
        // catch up first; the structural rules are then checked against the new head.
        let start = std::time::Instant::now();
        let writer = loop {
            match Store::open(&self.path, Access::ReadWrite) {
                Err(OpenError::Locked { .. }) if start.elapsed() < self.wait => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => break other?,
            }
        };
        replay_into(&writer, &mut self.reg, &mut self.index.pending).map_err(damaged)?;
        self.writer = Some(Arc::new(writer));
        Ok(Batch {
            ledger: self,
            records: Vec::new(),
            receipts: Vec::new(),
            writing: None,
            durable: Vec::new(),
            done: false,
        })
    }

    /// Checks a disclosure input against the registers and builds the body to append.
    pub fn prepare_disclosure(
        &self,
        input: &DisclosureInput,
        key: &SecretKey,
        now: Timestamp,
        salt: &mut dyn FnMut() -> [u8; 32],
    ) -> Result<Pending, AppendError> {
        let parsed = input.parse()?;
        let (disclosure, vault) = self.resolve_disclosure(&parsed, key, now, salt)?;
        Ok(Pending {
            body: Body::Disclosure(disclosure),
            vault,
        })
    }

    fn resolve_disclosure(
        &self,
        parsed: &ParsedDisclosure,
        key: &SecretKey,
        now: Timestamp,
        salt: &mut dyn FnMut() -> [u8; 32],
    ) -> Result<(crate::model::Disclosure, Vec<VaultItem>), AppendError> {
        for p in [&parsed.from, &parsed.to] {
            if !self.reg.parties.contains_key(p) {
                return Err(self.unknown_party(p));
            }
        }
        if parsed.from == parsed.to {
            return Err(AppendError::SameParty(parsed.from.clone()));
        }
        self.check_key(&parsed.from, key)?;
        if parsed.disclosed_at > now.plus_seconds(FUTURE_TOLERANCE_SECS) {
            return Err(AppendError::FutureDate {
                field: "disclosed_at",
                value: parsed.disclosed_at,
                now,
            });
        }
        for theme in &parsed.themes {
            if !self.reg.themes.contains_key(theme) {
                return Err(AppendError::UnknownTheme {
                    theme: theme.clone(),
                    known: self
                        .reg
                        .themes
                        .keys()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        let mut companies = Vec::with_capacity(parsed.companies.len());
        for c in &parsed.companies {
            companies.push(self.resolve_company(&c.id, c.new_name.as_deref())?);
        }
        Ok(parsed.build(companies, salt))
    }

    fn resolve_company(
        &self,
        id: &CompanyId,
        new_name: Option<&str>,
    ) -> Result<CompanyRef, AppendError> {
        match (self.reg.companies.get(id), new_name) {
            (Some(c), None) => Ok(CompanyRef {
                id: id.clone(),
                name: c.name.clone(),
            }),
            (Some(c), Some(given)) if c.name == given => Ok(CompanyRef {
                id: id.clone(),
                name: c.name.clone(),
            }),
            (Some(c), Some(given)) => Err(AppendError::CompanyNameMismatch {
                company: id.clone(),
                registered: c.name.clone(),
                given: given.to_owned(),
            }),
            (None, Some(name)) => Ok(CompanyRef {
                id: id.clone(),
                name: name.to_owned(),
            }),
            (None, None) => Err(AppendError::UnknownCompany {
                company: id.clone(),
            }),
        }
    }

    /// Signs and stores a checkpoint of the whole ledger with `key` (as log operator).
    pub fn checkpoint(
        &mut self,
        key: &SecretKey,
    ) -> Result<tlog::Note, crate::witness::WitnessError> {
        let mut batch = self.begin().map_err(witness_error)?;
        let note = batch.checkpoint(key)?;
        batch.done = true;
        Ok(note)
    }

    /// Cosigns a checkpoint note with `key` (as witness) and stores it.
    pub fn cosign(
        &mut self,
        note: &[u8],
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<tlog::Note, crate::witness::WitnessError> {
        let mut batch = self.begin().map_err(witness_error)?;
        let note = batch.cosign(note, key, now)?;
        batch.done = true;
        Ok(note)
    }

    /// The policy flags a prepared disclosure would raise if recorded now as the next entry.
    pub fn flags_for(&self, pending: &Pending, now: Timestamp) -> Vec<crate::policy::Flag> {
        let Body::Disclosure(d) = &pending.body else {
            return Vec::new();
        };
        let values: Vec<(String, String)> = pending
            .vault
            .iter()
            .filter(|(_, v)| v.len() >= 32)
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(&v[32..]).into_owned()))
            .collect();
        crate::policy::PolicyEngine::new().judge(self.next_seq(), now, d, &self.reg, Some(&values))
    }

    /// Records a disclosure with fresh random salts.
    pub fn disclose(
        &mut self,
        input: &DisclosureInput,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Receipt, AppendError> {
        let pending = self.prepare_disclosure(input, key, now, &mut fresh_salt)?;
        self.append(pending, key, now)
    }

    /// Builds an acknowledgement of disclosure `seq` by its recipient.
    pub fn prepare_ack(
        &self,
        seq: Seq,
        received_at: Timestamp,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        let fact = self.fact(seq)?;
        let d = match fact.as_ref().and_then(|f| f.disclosure.as_ref()) {
            Some(d) => d,
            None => return Err(bad_reference(seq, fact.as_ref(), "a disclosure")),
        };
        self.check_key(&d.to, key).map_err(|_| {
            AppendError::Conflict(format!(
                "{seq} was disclosed to {}, so only {} can acknowledge it; sign with {}'s key",
                d.to, d.to, d.to
            ))
        })?;
        if let Some((ack, _)) = d.acknowledged {
            return Err(AppendError::Conflict(format!(
                "{seq} was already acknowledged by {ack}; nothing to do"
            )));
        }
        if received_at > now.plus_seconds(FUTURE_TOLERANCE_SECS) {
            return Err(AppendError::FutureDate {
                field: "received_at",
                value: received_at,
                now,
            });
        }
        if received_at < d.disclosed_at {
            return Err(AppendError::Conflict(format!(
                "received_at {received_at} is before {seq} was disclosed ({}); check the date",
                d.disclosed_at
            )));
        }
        Ok(Body::Acknowledgement(Acknowledgement {
            disclosure: seq,
            received_at,
        })
        .into())
    }

    /// What the ledger records about entry `seq`: from the registers if they hold it, else
    /// read from the file (through the batch's write handle while a batch is open).
    fn fact(&self, seq: Seq) -> Result<Option<Fact>, AppendError> {
        if !self.reg.needs_loading(seq) {
            return Ok(self.reg.entry(seq).map(|e| Fact {
                kind: e.kind,
                signer: self
                    .reg
                    .party_at(e.signer)
                    .cloned()
                    .unwrap_or_else(|| PartyId::new("XX").expect("valid")),
                disclosure: self.reg.disclosures.get(seq.0),
            }));
        }
        match &self.writer {
            Some(store) => read_fact(store, seq, &self.index.pending),
            None => read_fact(
                &Store::open(&self.path, Access::ReadOnly)?,
                seq,
                &self.index.pending,
            ),
        }
    }

    /// Builds a correction of entry `seq`, optionally with a replacement disclosure.
    pub fn prepare_correction(
        &self,
        seq: Seq,
        reason: &str,
        replacement: Option<&DisclosureInput>,
        key: &SecretKey,
        now: Timestamp,
        salt: &mut dyn FnMut() -> [u8; 32],
    ) -> Result<Pending, AppendError> {
        let fact = self.fact(seq)?;
        let Some(target) = fact.as_ref() else {
            return Err(bad_reference(seq, None, "an entry"));
        };
        if target.kind == EntryKind::Genesis {
            return Err(bad_reference(seq, fact.as_ref(), "a correctable entry"));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(InputError::Empty("reason").into());
        }
        let (replacement, vault) = match replacement {
            Some(input) => {
                if target.kind != EntryKind::Disclosure {
                    return Err(bad_reference(
                        seq,
                        fact.as_ref(),
                        "a disclosure (only disclosures take a replacement)",
                    ));
                }
                let parsed = input.parse()?;
                let (d, v) = self.resolve_disclosure(&parsed, key, now, salt)?;
                (Some(d), v)
            }
            None => (None, Vec::new()),
        };
        Ok(Pending {
            body: Body::Correction(Correction {
                supersedes: seq,
                reason: reason.to_owned(),
                replacement,
            }),
            vault,
        })
    }

    /// Builds a theme declaration.
    pub fn prepare_theme_declared(
        &self,
        id: ThemeId,
        title: &str,
        description: &str,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        if self.reg.theme_in_force(&id, now) {
            return Err(AppendError::Conflict(format!(
                "theme {id} is already in force; nothing to do"
            )));
        }
        if title.trim().is_empty() {
            return Err(InputError::Empty("title").into());
        }
        Ok(Body::ThemeDeclared(ThemeDeclared {
            id,
            title: title.trim().to_owned(),
            description: description.trim().to_owned(),
        })
        .into())
    }

    /// Builds a theme retirement.
    pub fn prepare_theme_retired(
        &self,
        id: ThemeId,
        reason: &str,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        if !self.reg.theme_in_force(&id, now) {
            return Err(AppendError::Conflict(format!(
                "theme {id} is not in force, so it cannot be retired; see `dledger list --themes`"
            )));
        }
        Ok(Body::ThemeRetired(ThemeRetired {
            id,
            reason: reason.trim().to_owned(),
        })
        .into())
    }

    /// Builds a designation proposal.
    pub fn prepare_company_proposed(
        &self,
        id: CompanyId,
        name: Option<&str>,
        rationale: &str,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        let company = self.resolve_company(&id, name)?;
        if self.reg.is_mutual(&id, now) {
            return Err(AppendError::Conflict(format!(
                "company {id} is already of mutual interest; nothing to propose"
            )));
        }
        if self
            .reg
            .companies
            .get(&id)
            .is_some_and(|c| c.proposals.iter().any(|p| p.open))
        {
            return Err(AppendError::Conflict(format!(
                "company {id} already has an open proposal; the other party confirms it with \
                 `dledger company confirm {id}`"
            )));
        }
        Ok(Body::DesignationProposed(DesignationProposed {
            company,
            rationale: rationale.trim().to_owned(),
        })
        .into())
    }

    /// Builds a confirmation of the open proposal for `id`.
    pub fn prepare_company_confirmed(&self, id: CompanyId) -> Result<Pending, AppendError> {
        let proposal = self
            .reg
            .companies
            .get(&id)
            .and_then(|c| c.proposals.iter().rev().find(|p| p.open))
            .ok_or_else(|| {
                AppendError::Conflict(format!(
                    "company {id} has no open designation proposal to confirm; one party \
                     proposes it first with `dledger company propose {id}`"
                ))
            })?;
        Ok(Body::DesignationConfirmed(DesignationConfirmed {
            company: id,
            proposal: proposal.seq,
        })
        .into())
    }

    /// Builds the end of a designation.
    pub fn prepare_company_ended(
        &self,
        id: CompanyId,
        reason: &str,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        let open = self
            .reg
            .companies
            .get(&id)
            .is_some_and(|c| c.proposals.iter().any(|p| p.open));
        if !self.reg.is_mutual(&id, now) && !open {
            return Err(AppendError::Conflict(format!(
                "company {id} is neither of mutual interest nor proposed; nothing to end"
            )));
        }
        Ok(Body::DesignationEnded(DesignationEnded {
            company: id,
            reason: reason.trim().to_owned(),
        })
        .into())
    }

    /// Builds a key addition for the signer's own party.
    pub fn prepare_key_added(&self, party: PartyId, key: &PublicKey) -> Pending {
        Body::KeyAdded(KeyAdded {
            party,
            key: key.record(),
        })
        .into()
    }

    /// Builds a key rotation for the signer's own party.
    pub fn prepare_key_rotated(&self, party: PartyId, old: KeyId, new: &PublicKey) -> Pending {
        Body::KeyRotated(KeyRotated {
            party,
            old,
            new: new.record(),
        })
        .into()
    }

    /// Builds a key revocation for the signer's own party.
    pub fn prepare_key_revoked(&self, party: PartyId, key_id: KeyId, reason: &str) -> Pending {
        Body::KeyRevoked(KeyRevoked {
            party,
            key_id,
            reason: reason.trim().to_owned(),
        })
        .into()
    }
}

/// An entry built and checked, waiting for its signature: entry, bytes, hash, key, vault items.
type Staged<'k> = (Entry, Vec<u8>, [u8; 32], &'k SecretKey, Vec<VaultItem>);

/// Entries signed together by one worker task while the next ones are built.
const SIGN_GROUP: usize = 256;

/// Signs the staged entries `group` (the first of which is staged entry `from`) on one of
/// `scope`'s workers and sends back (`from`, their signatures).
fn sign_group<'s, 'k: 's>(
    scope: &rayon::Scope<'s>,
    signed: &std::sync::mpsc::Sender<(usize, Vec<[u8; 64]>)>,
    from: usize,
    group: &[Staged<'k>],
) {
    let group: Vec<(Vec<u8>, &'k SecretKey)> = group
        .iter()
        .map(|(_, bytes, _, key, _)| (bytes.clone(), *key))
        .collect();
    let signed = signed.clone();
    scope.spawn(move |_| {
        let signatures = group
            .iter()
            .map(|(bytes, key)| key.sign_entry(bytes))
            .collect();
        // The receiver outlives the scope, so the send cannot fail.
        let _ = signed.send((from, signatures));
    });
}

/// Entries being appended under the write lock. Each entry pushed is checked against the
/// registers (including the entries pushed before it), applied to them, and held until
/// [`Batch::commit`] writes them all in one durable transaction. Dropping a batch without
/// committing writes nothing and restores the registers from the file.
pub struct Batch<'l> {
    ledger: &'l mut Ledger,
    records: Vec<NewRecord>,
    receipts: Vec<Receipt>,
    /// The durable write started by [`Batch::flush_in_background`], if it has not been waited
    /// for yet.
    writing: Option<InFlight>,
    /// Receipts of entries whose background write has completed, not yet handed back.
    durable: Vec<Receipt>,
    done: bool,
}

/// A durable write running on its own thread, and the receipts it will make good.
struct InFlight {
    handle: std::thread::JoinHandle<Result<(), StoreAppendError>>,
    receipts: Vec<Receipt>,
}

impl Batch<'_> {
    /// The ledger as it stands with the entries pushed so far (for `prepare_*` calls).
    pub fn ledger(&self) -> &Ledger {
        self.ledger
    }

    fn writer(&self) -> &Store {
        self.ledger
            .writer
            .as_deref()
            .expect("a batch holds the write handle until it ends")
    }

    /// Entries pushed and not yet committed.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing is waiting to be committed.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Checks, seals and stages one entry signed by `key`.
    pub fn push(
        &mut self,
        pending: Pending,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Receipt, AppendError> {
        Ok(self
            .push_many(vec![(pending, key)], now)?
            .pop()
            .expect("one receipt per entry"))
    }

    /// Checks and stages several entries, each with its signing key. Entries are built and
    /// checked in order (each chains to the one before); the signatures, the costly part, are
    /// made in parallel. If any entry is refused, none of them is staged.
    pub fn push_many(
        &mut self,
        items: Vec<(Pending, &SecretKey)>,
        now: Timestamp,
    ) -> Result<Vec<Receipt>, AppendError> {
        let mut staged: Vec<Staged<'_>> = Vec::with_capacity(items.len());
        let before = self.ledger.reg.head;
        let mut trial = Vec::new();
        // Entries are built in order on this thread; each group of SIGN_GROUP is signed by
        // rayon's workers while the next group is built.
        let (signed_tx, signed_rx) = std::sync::mpsc::channel::<(usize, Vec<[u8; 64]>)>();
        let mut unsigned_from = 0;
        let built = rayon::scope(|scope| -> Result<(), AppendError> {
            for (p, key) in items {
                let party = match self.ledger.party_of(key) {
                    Ok(p) => p,
                    Err(e) => return Err(self.undo(trial, before, e)),
                };
                let (seq, prev, last_time) = match self.ledger.reg.head {
                    Some((s, h, t)) => (s.next(), EntryHash(h), t),
                    None => (Seq(0), EntryHash::ZERO, now),
                };
                let entry = Entry {
                    version: FORMAT_VERSION,
                    seq,
                    prev,
                    recorded_at: now.max(last_time),
                    signer: Signer {
                        party,
                        key_id: key.public().key_id,
                    },
                    body: p.body,
                };
                if let Some(target) = entry.body.refers_to()
                    && self.ledger.reg.needs_loading(target)
                {
                    // The entry referred to may be in a write still in flight.
                    if let Err(e) = self.settle() {
                        return Err(self.undo(trial, before, e));
                    }
                    match read_fact(self.writer(), target, &self.ledger.index.pending) {
                        Ok(Some(f)) => {
                            self.ledger
                                .reg
                                .insert_loaded(target, f.kind, &f.signer, f.disclosure)
                        }
                        Ok(None) => {}
                        Err(e) => return Err(self.undo(trial, before, e)),
                    }
                }
                if let Some((kind, message)) = rules::check_entry(&self.ledger.reg, &entry)
                    .into_iter()
                    .next()
                {
                    return Err(self.undo(trial, before, AppendError::Rule { kind, message }));
                }
                let bytes = match codec::encode_entry(&entry) {
                    Ok(b) => b,
                    Err(e) => return Err(self.undo(trial, before, e.into())),
                };
                let hash = leaf_hash(&bytes);
                self.ledger.reg.apply(&entry, hash);
                if let Some(target) = entry.body.refers_to() {
                    self.ledger.index.pending.push((target.0, seq.0));
                }
                trial.push(seq);
                staged.push((entry, bytes, hash, key, p.vault));
                if staged.len() - unsigned_from == SIGN_GROUP {
                    sign_group(scope, &signed_tx, unsigned_from, &staged[unsigned_from..]);
                    unsigned_from = staged.len();
                }
            }
            if unsigned_from < staged.len() {
                sign_group(scope, &signed_tx, unsigned_from, &staged[unsigned_from..]);
            }
            Ok(())
        });
        built?;
        drop(signed_tx);
        let mut signatures = vec![[0u8; 64]; staged.len()];
        for (from, group) in signed_rx {
            signatures[from..from + group.len()].copy_from_slice(&group);
        }
        let mut receipts = Vec::with_capacity(staged.len());
        for ((entry, bytes, hash, _, vault), signature) in staged.into_iter().zip(signatures) {
            let receipt = Receipt {
                seq: entry.seq,
                hash: EntryHash(hash),
                recorded_at: entry.recorded_at,
            };
            self.records.push(NewRecord {
                seq: entry.seq.0,
                bytes,
                signature,
                hash,
                vault,
            });
            self.receipts.push(receipt.clone());
            receipts.push(receipt);
        }
        Ok(receipts)
    }

    /// Undoes the registers' trial application of entries that will not be staged.
    fn undo(
        &mut self,
        trial: Vec<Seq>,
        before: Option<(Seq, [u8; 32], Timestamp)>,
        e: AppendError,
    ) -> AppendError {
        if !trial.is_empty() || self.ledger.reg.head != before {
            self.reload();
        }
        e
    }

    /// Rebuilds the registers from the file plus the entries already staged.
    fn reload(&mut self) {
        let (mut reg, mut index) = load(self.writer()).unwrap_or_default();
        for r in &self.records {
            if let Ok(e) = codec::decode_entry(&r.bytes) {
                reg.apply(&e, r.hash);
                if let Some(target) = e.body.refers_to() {
                    index.pending.push((target.0, e.seq.0));
                }
            }
        }
        self.ledger.reg = reg;
        self.ledger.index = index;
    }

    /// Waits for the write in flight, if any. If it failed, nothing staged since is kept (it
    /// chained onto entries that are not in the file) and the registers are put back as the
    /// file has them.
    fn settle(&mut self) -> Result<(), AppendError> {
        let Some(w) = self.writing.take() else {
            return Ok(());
        };
        let written = match w.handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        match written {
            Ok(()) => {
                self.durable.extend(w.receipts);
                Ok(())
            }
            Err(e) => {
                self.records.clear();
                self.receipts.clear();
                self.reload();
                Err(e.into())
            }
        }
    }

    /// Starts writing every staged entry in one durable transaction on another thread, so the
    /// next entries can be prepared and signed meanwhile; first waits for the write started by
    /// the previous call. Returns the receipts of the entries now durable (those of the
    /// previous call); [`Batch::flush`] or [`Batch::commit`] waits for the rest.
    ///
    /// For bulk recording of new entries: an entry prepared meanwhile that refers to one still
    /// being written is looked up only after the write completes.
    pub fn flush_in_background(&mut self) -> Result<Vec<Receipt>, AppendError> {
        self.settle()?;
        if !self.records.is_empty() {
            let index = self.index_update()?;
            let records = std::mem::take(&mut self.records);
            let receipts = std::mem::take(&mut self.receipts);
            let store = Arc::clone(
                self.ledger
                    .writer
                    .as_ref()
                    .expect("a batch holds the write handle until it ends"),
            );
            let handle = std::thread::spawn(move || store.append_indexed(&records, Some(&index)));
            self.ledger.index.rebuild = false;
            self.writing = Some(InFlight { handle, receipts });
        }
        Ok(std::mem::take(&mut self.durable))
    }

    /// The register snapshot and new references to write with the staged entries.
    fn index_update(&mut self) -> Result<IndexUpdate, AppendError> {
        let snapshot = codec::encode_snapshot(&self.ledger.reg.snapshot())?;
        Ok(IndexUpdate {
            snapshot,
            references: std::mem::take(&mut self.ledger.index.pending),
            rebuild: self.ledger.index.rebuild,
        })
    }

    /// Writes every staged entry in one durable transaction, with the register snapshot and
    /// the new references, and keeps the batch (and the write lock) open for more. Returns the
    /// receipts of every entry made durable since the last flush.
    pub fn flush(&mut self) -> Result<Vec<Receipt>, AppendError> {
        self.settle()?;
        let mut receipts = std::mem::take(&mut self.durable);
        receipts.extend(self.flush_staged()?);
        Ok(receipts)
    }

    /// Writes the staged entries in one durable transaction on this thread.
    fn flush_staged(&mut self) -> Result<Vec<Receipt>, AppendError> {
        let written = self.index_update().and_then(|index| {
            self.writer()
                .append_indexed(&self.records, Some(&index))
                .map_err(AppendError::from)
        });
        if let Err(e) = written {
            self.records.clear();
            self.receipts.clear();
            self.reload();
            return Err(e);
        }
        self.ledger.index.rebuild = false;
        self.records.clear();
        Ok(std::mem::take(&mut self.receipts))
    }

    /// Writes every staged entry in one durable transaction and ends the batch.
    pub fn commit(mut self) -> Result<Vec<Receipt>, AppendError> {
        self.done = true;
        self.flush()
    }

    /// Writes what is staged, ends the batch, and compacts the file (worth it after a bulk load,
    /// whose many commits leave free pages behind).
    pub fn commit_and_compact(mut self) -> Result<Vec<Receipt>, AppendError> {
        self.done = true;
        let receipts = self.flush()?;
        if let Some(writer) = self.ledger.writer.as_mut().and_then(Arc::get_mut) {
            writer.compact()?;
        }
        Ok(receipts)
    }

    /// Flushes, then signs and stores a checkpoint of the whole ledger with `key`.
    pub fn checkpoint(
        &mut self,
        key: &SecretKey,
    ) -> Result<tlog::Note, crate::witness::WitnessError> {
        self.flush()
            .map_err(|e| crate::witness::WitnessError::Damaged(e.to_string()))?;
        crate::witness::make_checkpoint(self.writer(), &self.ledger.reg, key)
    }

    /// Flushes, then cosigns a checkpoint note with `key` (as witness) and stores it.
    pub fn cosign(
        &mut self,
        note: &[u8],
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<tlog::Note, crate::witness::WitnessError> {
        self.flush()
            .map_err(|e| crate::witness::WitnessError::Damaged(e.to_string()))?;
        crate::witness::cosign(self.writer(), &self.ledger.reg, note, key, now)
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        // A write in flight completes (or fails) before the lock is released.
        let _ = self.settle();
        if !self.done && !self.records.is_empty() {
            // Nothing was written; put the registers back as the file has them.
            self.records.clear();
            self.reload();
        }
        // Release the write lock.
        self.ledger.writer = None;
    }
}

fn witness_error(e: AppendError) -> crate::witness::WitnessError {
    match e {
        AppendError::Open(e) => crate::witness::WitnessError::Open(e),
        other => crate::witness::WitnessError::Damaged(other.to_string()),
    }
}

/// Encodes, hashes and signs an entry into a record ready to store.
fn seal(
    entry: &Entry,
    key: &SecretKey,
    vault: Vec<VaultItem>,
) -> Result<(NewRecord, EntryHash), EncodeError> {
    let bytes = codec::encode_entry(entry)?;
    let hash = leaf_hash(&bytes);
    let signature = key.sign_entry(&bytes);
    Ok((
        NewRecord {
            seq: entry.seq.0,
            bytes,
            signature,
            hash,
            vault,
        },
        EntryHash(hash),
    ))
}

/// Why a ledger did not replay cleanly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// An entry cannot be decoded.
    #[error("entry #{key} cannot be decoded: {source}")]
    Decode {
        /// Storage key.
        key: u64,
        /// Why.
        source: DecodeError,
    },
    /// Entries are not contiguous or not chained.
    #[error("entry #{key} {problem}")]
    Chain {
        /// Storage key.
        key: u64,
        /// What is wrong.
        problem: &'static str,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Rebuilds the registers from the store by replaying every entry, checking decoding,
/// numbering and the hash chain (signatures are `verify`'s job).
pub fn replay(store: &Store) -> Result<Registers, ReplayError> {
    let mut reg = Registers::default();
    replay_into(store, &mut reg, &mut Vec::new())?;
    Ok(reg)
}

/// The register snapshot and references index rebuilt from every entry of `store`, checking
/// decoding, numbering and the chain as it goes.
pub fn rebuild_index(store: &Store) -> Result<IndexUpdate, AppendError> {
    let mut reg = Registers::default();
    let mut references = Vec::new();
    replay_into(store, &mut reg, &mut references).map_err(damaged)?;
    Ok(IndexUpdate {
        snapshot: codec::encode_snapshot(&reg.snapshot())?,
        references,
        rebuild: true,
    })
}

/// Rebuilds the register snapshot and references index of the ledger at `path` from its
/// entries and saves them, leaving every entry untouched (`dledger reindex`). Returns the
/// number of references indexed.
pub fn reindex(path: &Path) -> Result<usize, AppendError> {
    // Refuse anything but a ledger before opening for writing (which rewrites the header).
    let store = Store::open(path, Access::ReadWrite)?;
    let index = rebuild_index(&store)?;
    store.rewrite_index(&index)?;
    Ok(index.references.len())
}

/// The registers as of the last entry, the fast way: the saved snapshot plus the entries
/// recorded after it, or a full [`replay`] when the file has no valid snapshot. Per-entry
/// summaries older than the snapshot are not included (see [`Registers::needs_loading`]).
pub fn open_registers(store: &Store) -> Result<Registers, ReplayError> {
    load(store).map(|(reg, _)| reg)
}

/// The entries before `upto` that refer to entry `target` (acknowledge, correct or confirm it),
/// in order: from the references index, plus a scan of any entries recorded after the saved
/// snapshot (the whole log when there is none).
pub fn referring_entries(store: &Store, target: u64, upto: u64) -> Result<Vec<u64>, ReplayError> {
    let (mut found, from) = match saved_registers(store)? {
        Some(reg) => (
            store.references_to(target)?,
            reg.head.map_or(0, |(s, _, _)| s.0 + 1),
        ),
        None => (Vec::new(), 0),
    };
    if from < upto {
        store.scan(from, Some(upto), |r| {
            let entry = codec::decode_entry(&r.bytes)
                .map_err(|source| ReplayError::Decode { key: r.key, source })?;
            if entry.body.refers_to() == Some(Seq(target)) {
                found.push(r.key);
            }
            Ok::<_, ReplayError>(())
        })?;
    }
    found.retain(|&by| by < upto);
    found.sort_unstable();
    found.dedup();
    Ok(found)
}

/// [`open_registers`], with the references of the entries applied beyond the snapshot.
fn load(store: &Store) -> Result<(Registers, IndexState), ReplayError> {
    let (mut reg, mut index) = match saved_registers(store)? {
        Some(reg) => (reg, IndexState::default()),
        None => (
            Registers::default(),
            IndexState {
                pending: Vec::new(),
                rebuild: true,
            },
        ),
    };
    replay_into(store, &mut reg, &mut index.pending)?;
    Ok((reg, index))
}

/// The registers of the saved snapshot, if there is one this build reads and its head is the
/// entry the file holds at that number.
fn saved_registers(store: &Store) -> Result<Option<Registers>, ReplayError> {
    let Some(bytes) = store.snapshot()? else {
        return Ok(None);
    };
    let Some(snapshot) = codec::decode_snapshot(&bytes) else {
        return Ok(None);
    };
    let Some((seq, hash, _)) = snapshot.head else {
        return Ok(None);
    };
    match store.get(seq.0)? {
        Some(r) if leaf_hash(&r.bytes) == hash => Ok(Some(Registers::from_snapshot(snapshot))),
        _ => Ok(None),
    }
}

/// Reads what an append needs to know about entry `seq` from the file: its kind and signer,
/// and for a disclosure, its acknowledgement and corrections (from the references table and
/// `pending`, the references not yet saved).
fn read_fact(store: &Store, seq: Seq, pending: &[(u64, u64)]) -> Result<Option<Fact>, AppendError> {
    let decode = |bytes: &[u8], key: u64| {
        codec::decode_entry(bytes).map_err(|e| AppendError::Damaged {
            seq: Seq(key),
            reason: e.to_string(),
        })
    };
    let Some(r) = store.get(seq.0)? else {
        return Ok(None);
    };
    let entry = decode(&r.bytes, r.key)?;
    let disclosure = match &entry.body {
        Body::Disclosure(d) => {
            let mut summary = DisclosureSummary {
                from: d.from.clone(),
                to: d.to.clone(),
                disclosed_at: d.disclosed_at,
                recorded_at: entry.recorded_at,
                acknowledged: None,
                corrected_by: Vec::new(),
            };
            let mut referrers = store.references_to(seq.0)?;
            referrers.extend(pending.iter().filter(|(t, _)| *t == seq.0).map(|(_, b)| *b));
            referrers.sort_unstable();
            referrers.dedup();
            for by in referrers {
                let Some(r) = store.get(by)? else { continue };
                let e = decode(&r.bytes, r.key)?;
                match &e.body {
                    Body::Acknowledgement(a) if a.disclosure == seq => {
                        summary.acknowledged.get_or_insert((e.seq, e.recorded_at));
                    }
                    Body::Correction(c) if c.supersedes == seq => summary.corrected_by.push(e.seq),
                    _ => {}
                }
            }
            Some(summary)
        }
        _ => None,
    };
    Ok(Some(Fact {
        kind: entry.body.kind(),
        signer: entry.signer.party,
        disclosure,
    }))
}

/// The error for a reference to entry `seq` that is missing or not what was `wanted`.
fn bad_reference(seq: Seq, fact: Option<&Fact>, wanted: &str) -> AppendError {
    let problem = match fact {
        None => "does not exist".to_owned(),
        Some(f) => format!("is a {}, not {wanted}", f.kind),
    };
    AppendError::BadReference { seq, problem }
}

/// An append-time error for a ledger that does not replay cleanly.
fn damaged(e: ReplayError) -> AppendError {
    match e {
        ReplayError::Store(e) => AppendError::from(e),
        ReplayError::Decode { key, source } => AppendError::Damaged {
            seq: Seq(key),
            reason: source.to_string(),
        },
        ReplayError::Chain { key, problem } => AppendError::Damaged {
            seq: Seq(key),
            reason: problem.to_owned(),
        },
    }
}

/// Applies to `reg` the entries of `store` that come after its head, adding their references
/// to `references`.
fn replay_into(
    store: &Store,
    reg: &mut Registers,
    references: &mut Vec<(u64, u64)>,
) -> Result<(), ReplayError> {
    let from = reg.head.map_or(0, |(s, _, _)| s.0 + 1);
    store.scan(from, None, |r| {
        let entry = codec::decode_entry(&r.bytes)
            .map_err(|source| ReplayError::Decode { key: r.key, source })?;
        let expected = reg.head.map_or(Seq(0), |(s, _, _)| s.next());
        if entry.seq != expected || r.key != expected.0 {
            return Err(ReplayError::Chain {
                key: r.key,
                problem: "is out of sequence",
            });
        }
        let prev = reg.head.map_or(EntryHash::ZERO, |(_, h, _)| EntryHash(h));
        if entry.prev != prev {
            return Err(ReplayError::Chain {
                key: r.key,
                problem: "does not chain to the entry before it",
            });
        }
        if let Some(target) = entry.body.refers_to() {
            references.push((target.0, entry.seq.0));
        }
        reg.apply(&entry, leaf_hash(&r.bytes));
        Ok(())
    })
}
