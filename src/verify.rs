//! Integrity verification: replays the whole ledger, streaming, and reports every failure
//! pinned to the entry where it was found.
//!
//! Checks, per entry: numbering, stored hash, decoding (and canonical encoding), hash chain,
//! signature by a key valid for the signing party at that point, time order, and the structural
//! rules of `rules` (who may sign what, references to earlier entries).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::codec;
use crate::hash::leaf_hash;
use crate::integrity::{IntegrityFailure, IntegrityKind};
use crate::keys::{PublicKey, verify_entry_signature};
use crate::model::{Body, Entry, EntryHash, Seq, Timestamp};
use crate::registers::Registers;
use crate::rules;
use crate::store::{Store, StoreError};

/// How far (seconds) an entry's recorded time may precede its predecessor's before it is
/// reported as time going backwards (clocks of two regulators are never exactly in step).
pub const DEFAULT_TIME_TOLERANCE_SECS: i64 = 600;

/// Settings for a verification run.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// See [`DEFAULT_TIME_TOLERANCE_SECS`].
    pub time_tolerance_secs: i64,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            time_tolerance_secs: DEFAULT_TIME_TOLERANCE_SECS,
        }
    }
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
    /// Every failure found, in ledger order.
    pub failures: Vec<IntegrityFailure>,
}

/// Integrity report plus the registers replayed along the way (for policy checks and reviews).
pub struct Verified {
    /// The report.
    pub report: IntegrityReport,
    /// Registers after the last entry.
    pub registers: Registers,
}

/// A callback given each decoded entry and the registers as they stood before it.
pub type EntryVisitor = Box<dyn FnMut(&Entry, &Registers) + Send>;

/// A streaming verifier: feed it stored records in order, then call [`Verifier::finish`].
pub struct Verifier {
    opts: VerifyOptions,
    reg: Registers,
    expected: u64,
    prev_hash: EntryHash,
    prev_time: Option<Timestamp>,
    report: IntegrityReport,
    visit: Option<EntryVisitor>,
    /// (index into failures, key id) of every use of a key unknown at that point.
    unknown_key_uses: Vec<(usize, crate::model::KeyId)>,
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
                failures: Vec::new(),
            },
            visit: None,
            unknown_key_uses: Vec::new(),
        }
    }

    /// Calls `f` with every decoded entry and the registers as they stood before it.
    pub fn on_entry(&mut self, f: impl FnMut(&Entry, &Registers) + Send + 'static) {
        self.visit = Some(Box::new(f));
    }

    fn fail(&mut self, seq: u64, kind: IntegrityKind, message: String) {
        self.report.failures.push(IntegrityFailure {
            seq: Seq(seq),
            kind,
            message,
        });
    }

    /// Checks one stored record.
    pub fn push(
        &mut self,
        key: u64,
        bytes: &[u8],
        signature: Option<&[u8; 64]>,
        stored_hash: Option<&[u8; 32]>,
    ) {
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
        }
        self.expected = key + 1;
        let hash = EntryHash(leaf_hash(bytes));
        match stored_hash {
            Some(h) if *h == hash.0 => {}
            Some(h) => self.fail(
                key,
                IntegrityKind::HashMismatch,
                format!(
                    "stored hash {} but the entry's bytes hash to {}",
                    hex::encode(h),
                    hash
                ),
            ),
            None => self.fail(
                key,
                IntegrityKind::HashMismatch,
                "no entry hash is stored beside the entry".into(),
            ),
        }
        let entry = match codec::decode_entry(bytes) {
            Ok(e) => e,
            Err(e) => {
                self.fail(key, IntegrityKind::Undecodable, e.to_string());
                self.prev_hash = hash;
                self.report.head = Some(hash);
                return;
            }
        };
        if codec::encode_entry(&entry).ok().as_deref() != Some(bytes) {
            self.fail(
                key,
                IntegrityKind::NonCanonical,
                "the bytes are not the canonical encoding of the entry they decode to".into(),
            );
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
        for (kind, message) in rules::check_entry(&self.reg, &entry) {
            if kind == IntegrityKind::UnknownKey {
                self.unknown_key_uses
                    .push((self.report.failures.len(), entry.signer.key_id));
            }
            self.fail(key, kind, message);
        }
        if let Some(visit) = self.visit.as_mut() {
            visit(&entry, &self.reg);
        }
        *self
            .report
            .kinds
            .entry(entry.body.kind().as_str().to_owned())
            .or_default() += 1;
        self.report.first_recorded.get_or_insert(entry.recorded_at);
        self.report.last_recorded = Some(entry.recorded_at);
        self.prev_time = Some(entry.recorded_at);
        self.prev_hash = hash;
        self.report.head = Some(hash);
        self.reg.apply(&entry, hash.0);
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
        if let Some(public) = public
            && !verify_entry_signature(&public.key, bytes, sig)
        {
            self.fail(
                key,
                IntegrityKind::BadSignature,
                format!(
                    "signature does not verify under {}'s key {} ({})",
                    entry.signer.party, public.name, entry.signer.key_id
                ),
            );
        }
    }

    /// Ends the run and returns the report and final registers.
    pub fn finish(mut self) -> Verified {
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
        if self.report.entries == 0 {
            self.report.failures.push(IntegrityFailure {
                seq: Seq(0),
                kind: IntegrityKind::BadGenesis,
                message: "the ledger holds no entries, not even a genesis entry".into(),
            });
        }
        if !self.report.failures.is_empty() {
            self.report.status = IntegrityStatus::Failed;
        }
        Verified {
            report: self.report,
            registers: self.reg,
        }
    }
}

/// Verifies every entry in `store`, streaming.
pub fn verify_store(store: &Store, opts: &VerifyOptions) -> Result<Verified, VerifyError> {
    let mut v = Verifier::new(opts.clone());
    store.scan(0, None, |r| {
        v.push(
            r.key,
            &r.bytes,
            r.signature.as_ref(),
            r.stored_hash.as_ref(),
        );
        Ok::<_, VerifyError>(())
    })?;
    Ok(v.finish())
}

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
        if let (Some(a), Some(b)) = (self.first_recorded, self.last_recorded) {
            let _ = writeln!(out, "Recorded: {a} to {b}");
        }
        if let Some(h) = &self.head {
            let _ = writeln!(out, "Head:     {h}");
        }
        let kinds: Vec<String> = self.kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        if !kinds.is_empty() {
            let _ = writeln!(out, "Kinds:    {}", kinds.join(", "));
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
