//! Incremental verification (`dledger verify --since-checkpoint`): check only what was recorded
//! after the last cosigned checkpoint an earlier run verified, so a daily check costs
//! O(new entries).
//!
//! What carries over between runs is a small state file kept by the verifier, not the ledger
//! (whoever can alter the ledger must not be able to alter what it is checked against): the
//! checkpoint note with its cosignatures, the registers as they stood after its last entry, and
//! the disclosures not yet acknowledged then. A resumed run
//!
//! 1. re-checks the checkpoint's signatures and that the stored Merkle tree still gives its
//!    root at its size: the consistency of the ledger now with what was verified then (a
//!    rewritten or forked history fails here, as `checkpoint-mismatch`);
//! 2. carries the Merkle compact range on from that root and checks every newer entry exactly
//!    as a full run does (numbering, chain from the checkpoint's last entry, hash, signature
//!    under the keys in force, structural rules, vault values, stored Merkle hashes, every
//!    newer checkpoint), reading an older entry only when a new one refers to it, and then only
//!    after proving it against the checkpoint's root with an inclusion proof;
//! 3. judges the new disclosures against the policy, and the acknowledgement flags of new and
//!    still-open disclosures;
//! 4. moves the state on to the newest cosigned checkpoint it verified.
//!
//! It does not re-read the entries before the checkpoint: a change to one of them that left the
//! stored Merkle hashes alone is found by the next full `verify`, or when an evidence bundle for
//! it fails. docs/DECISIONS.md, "Incremental verification".

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::hash::leaf_hash;
use crate::integrity::IntegrityKind;
use crate::model::{Body, Entry, EntryHash, EntryKind, PartyId, Seq, Timestamp};
use crate::policy::{Flag, FlagCode};
use crate::registers::{DisclosureSummary, Registers};
use crate::store::{Store, StoreError};
use crate::verify::{
    FlagFilter, Report, ResumePoint, Start, Verifier, VerifyError, VerifyOptions, run,
};
use crate::witness::check_checkpoint;

/// The version of the state file layout this build reads and writes.
pub const STATE_VERSION: u32 = 1;

/// Why an incremental run could not start or its state could not be saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IncrementalError {
    /// The state file could not be read or written.
    #[error("cannot {action} the verification state {path}: {source}")]
    Io {
        /// "read" or "write".
        action: &'static str,
        /// The state file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The state file is not one this build wrote, or is for another ledger.
    #[error(
        "the verification state {path} cannot be used: {reason}. Delete it (or pass another \
         --state FILE) and run `dledger verify --since-checkpoint` again: that run checks every \
         entry and writes a new state"
    )]
    BadState {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Verification could not run.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A disclosure not yet acknowledged at the checkpoint, as the state file holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OpenDisclosure {
    seq: u64,
    from: PartyId,
    to: PartyId,
    disclosed_at: Timestamp,
    recorded_at: Timestamp,
    corrected_by: Vec<u64>,
}

/// The state file: JSON, written whole to a temporary file and renamed into place.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    /// The ledger's origin line.
    origin: String,
    /// Tree size of the checkpoint.
    size: u64,
    /// The checkpoint note with its cosignatures (text).
    checkpoint: String,
    /// The register snapshot after entry `size - 1` (docs/FORMAT.md), base64.
    registers: String,
    /// Disclosures not acknowledged after entry `size - 1`.
    open: Vec<OpenDisclosure>,
}

/// The default state file of a ledger: `LEDGER.verify-state` beside it.
pub fn default_state_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.file_name().unwrap_or_default().to_os_string();
    name.push(".verify-state");
    ledger.with_file_name(name)
}

/// Reads a state file; `Ok(None)` if there is none.
pub fn load_state(path: &Path) -> Result<Option<ResumePoint>, IncrementalError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(IncrementalError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            });
        }
    };
    let bad = |reason: String| IncrementalError::BadState {
        path: path.to_owned(),
        reason,
    };
    let state: StateFile =
        serde_json::from_str(&text).map_err(|e| bad(format!("it is not valid JSON ({e})")))?;
    if state.version != STATE_VERSION {
        return Err(bad(format!(
            "it has version {}, this build reads {STATE_VERSION}",
            state.version
        )));
    }
    let bytes = BASE64
        .decode(&state.registers)
        .map_err(|e| bad(format!("its registers are not base64 ({e})")))?;
    let registers =
        codec::decode_snapshot(&bytes).ok_or_else(|| bad("its registers cannot be read".into()))?;
    if registers.head.map(|(s, _, _)| s.0 + 1) != Some(state.size) {
        return Err(bad(format!(
            "its registers are not those after entry #{}",
            state.size.saturating_sub(1)
        )));
    }
    if registers.origin.as_deref() != Some(state.origin.as_str()) {
        return Err(bad("its registers are of another ledger".into()));
    }
    let open = state
        .open
        .into_iter()
        .map(|d| {
            (
                d.seq,
                DisclosureSummary {
                    from: d.from,
                    to: d.to,
                    disclosed_at: d.disclosed_at,
                    recorded_at: d.recorded_at,
                    acknowledged: None,
                    corrected_by: d.corrected_by.into_iter().map(Seq).collect(),
                },
            )
        })
        .collect();
    Ok(Some(ResumePoint {
        size: state.size,
        note: state.checkpoint.into_bytes(),
        registers,
        open,
    }))
}

/// Writes a state file durably: a temporary file beside it, flushed, then renamed over it.
pub fn save_state(path: &Path, point: &ResumePoint) -> Result<(), IncrementalError> {
    use std::io::Write as _;
    let io = |source| IncrementalError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    };
    let registers =
        codec::encode_snapshot(&point.registers).map_err(|e| IncrementalError::BadState {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    let state = StateFile {
        version: STATE_VERSION,
        origin: point.registers.origin.clone().unwrap_or_default(),
        size: point.size,
        checkpoint: String::from_utf8_lossy(&point.note).into_owned(),
        registers: BASE64.encode(registers),
        open: point
            .open
            .iter()
            .map(|(seq, d)| OpenDisclosure {
                seq: *seq,
                from: d.from.clone(),
                to: d.to.clone(),
                disclosed_at: d.disclosed_at,
                recorded_at: d.recorded_at,
                corrected_by: d.corrected_by.iter().map(|s| s.0).collect(),
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&state).expect("the state serializes");
    let tmp = path.with_extension("verify-state.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

/// Verifies every entry, as `verify` does, and also returns the point the next incremental run
/// may resume from (the latest cosigned checkpoint, if the ledger is intact).
pub fn verify_from_start(
    store: &Store,
    opts: &VerifyOptions,
    filter: &FlagFilter,
) -> Result<(Report, Option<ResumePoint>), IncrementalError> {
    Ok(run(store, opts, filter, None)?)
}

/// Verifies what was recorded after the checkpoint of `point` (see the module doc). Returns the
/// report and the point to resume from next time, if the ledger is intact and holds a newer
/// cosigned checkpoint.
pub fn verify_since(
    store: &Store,
    point: &ResumePoint,
    opts: &VerifyOptions,
    filter: &FlagFilter,
) -> Result<(Report, Option<ResumePoint>), IncrementalError> {
    let size = point.size;
    let (_, head_hash, head_time) = point.registers.head.expect("checked when loaded");
    let origin = point.registers.origin.clone().unwrap_or_default();
    let mut reg = Registers::from_snapshot(point.registers.clone());
    for (seq, d) in &point.open {
        reg.insert_loaded(Seq(*seq), EntryKind::Disclosure, &d.from, Some(d.clone()));
    }
    let open: BTreeSet<u64> = point.open.iter().map(|(s, _)| *s).collect();

    // 1. The ledger still extends the checkpoint: same root at its size from the stored tree.
    let len = store.len()?;
    let root = (len >= size)
        .then(|| tlog::tree_hash(size, store).ok())
        .flatten();
    let problem = match root {
        None if len < size => Some(format!(
            "the ledger now holds {len} entries, fewer than the {size} of the cosigned \
             checkpoint verified earlier: entries were removed"
        )),
        None => Some("the stored Merkle hashes at that size cannot be read".to_owned()),
        Some(r) => check_checkpoint(&point.note, &origin, &reg, |n| (n == size).then_some(r))
            .err()
            .map(|e| {
                format!(
                    "the ledger no longer matches the cosigned checkpoint of size {size} \
                     verified earlier ({e}): its history was rewritten, or this is another copy"
                )
            }),
    };
    let compact = match (&problem, root) {
        (None, Some(_)) => tlog::compact_range(size, store).ok(),
        _ => None,
    };
    let (Some(compact), Some(root)) = (compact, root) else {
        let mut v = Verifier::resume(
            opts.clone(),
            reg,
            size,
            (EntryHash(head_hash), head_time),
            tlog::CompactRange::new(),
        );
        let problem =
            problem.unwrap_or_else(|| "the stored Merkle hashes cannot be read".to_owned());
        v.fail_at(
            size.saturating_sub(1),
            IntegrityKind::CheckpointMismatch,
            format!("{problem}. Run a full `dledger verify` to find where the ledger changed"),
        );
        let verified = v.finish();
        let policy = crate::verify::PolicyReport {
            disclosures: 0,
            flagged_disclosures: 0,
            counts: Default::default(),
            flags: Vec::new(),
        };
        let report = Report {
            integrity: verified.report,
            policy,
        };
        return Ok((report, None));
    };

    // 2–3. The newer entries, loading older ones they refer to on demand.
    let loaded = Rc::new(RefCell::new(BTreeSet::new()));
    let loaded_by_loader = Rc::clone(&loaded);
    let load = move |v: &mut Verifier, entry: &Entry| {
        let Some(target) = entry.body.refers_to() else {
            return;
        };
        if target.0 >= size || !v.registers().needs_loading(target) {
            return;
        }
        match read_proved(store, target.0, size, &root) {
            Ok(old) => {
                let disclosure = match &old.body {
                    // Not open at the checkpoint, so acknowledged before it (when exactly is
                    // not needed: flags about it were reported by the run that verified it).
                    Body::Disclosure(d) => Some(DisclosureSummary {
                        from: d.from.clone(),
                        to: d.to.clone(),
                        disclosed_at: d.disclosed_at,
                        recorded_at: old.recorded_at,
                        acknowledged: Some((old.seq, old.recorded_at)),
                        corrected_by: Vec::new(),
                    }),
                    _ => None,
                };
                v.registers_mut().insert_loaded(
                    target,
                    old.body.kind(),
                    &old.signer.party,
                    disclosure,
                );
                loaded_by_loader.borrow_mut().insert(target.0);
            }
            Err(message) => v.fail_at(target.0, IntegrityKind::TreeMismatch, message),
        }
    };
    // Flags about older disclosures: those still open at the checkpoint, and corrections of
    // older ones by new entries.
    let keep_old_flag = move |f: &Flag| {
        open.contains(&f.seq.0)
            || (f.code == FlagCode::Superseded && loaded.borrow().contains(&f.seq.0))
    };
    let start = Start {
        size,
        registers: reg,
        compact,
        head: (EntryHash(head_hash), head_time),
        load: Box::new(load),
        keep_old_flag: Box::new(keep_old_flag),
    };
    Ok(run(store, opts, filter, Some(start))?)
}

/// Reads entry `seq` and proves it is the entry the tree of `size` with `root` holds there.
fn read_proved(store: &Store, seq: u64, size: u64, root: &[u8; 32]) -> Result<Entry, String> {
    let referred = |what: String| format!("entry #{seq}, referred to by a newer entry, {what}");
    let record = store
        .get(seq)
        .map_err(|e| referred(e.to_string()))?
        .ok_or_else(|| referred("is missing".into()))?;
    let leaf = leaf_hash(&record.bytes);
    let proof = tlog::prove_inclusion(seq, size, store).map_err(|e| referred(e.to_string()))?;
    tlog::verify_inclusion(&proof, seq, size, &leaf, root).map_err(|_| {
        referred(format!(
            "is not the entry the cosigned checkpoint of size {size} holds at that position"
        ))
    })?;
    codec::decode_entry(&record.bytes).map_err(|e| referred(e.to_string()))
}
