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
//!    after proving it against the checkpoint's root with an inclusion proof; with the
//!    verifier's copy of the entry index at the checkpoint ([`crate::index_copy`]), it rebuilds
//!    each newer checkpoint's index root from the new entries;
//! 3. judges the new disclosures against the policy, and the acknowledgement flags of new and
//!    still-open disclosures;
//! 4. moves the state on to the newest cosigned checkpoint it verified.
//!
//! It does not re-read the entries before the checkpoint: a change to one of them that left the
//! stored Merkle hashes alone is found by the next full `verify`, or when an evidence bundle for
//! it fails. docs/DECISIONS.md, "Incremental verification".

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::codec;
use crate::hash::leaf_hash;
use crate::integrity::IntegrityKind;
use crate::model::{Body, Entry, EntryHash, EntryKind, PartyId, Seq, Timestamp};
use crate::policy::{Flag, FlagCode};
use crate::registers::{DisclosureSummary, Registers};
use crate::store::{Store, StoreError};
use crate::verify::{
    FlagFilter, Report, ResumePoint, Start, TrustRoot, Verifier, VerifyError, VerifyOptions, run,
    trust_roots,
};
use crate::witness::check_checkpoint;

/// The version of the state file layout this build reads and writes. Version 1 (a file beside
/// the ledger, not bound to its genesis or trust roots) is refused.
pub const STATE_VERSION: u32 = 4;

/// Why an incremental run could not start or its state could not be saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IncrementalError {
    /// The state file is not a regular file, or larger than [`MAX_STATE_BYTES`].
    #[error(transparent)]
    Read(#[from] crate::files::ReadFileError),
    /// The state file could not be written safely (a symbolic link appeared at its path, say).
    #[error(transparent)]
    Write(#[from] crate::files::WriteFileError),
    /// The state file could not be read or written.
    #[error("cannot {action} the verification state {path}: {source}")]
    Io {
        /// "read", "write" or "create the directory of".
        action: &'static str,
        /// The state file (or its directory).
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The state file is not one this build wrote, or was altered since.
    #[error("the verification state {path} cannot be used: {reason}")]
    BadState {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The state file is of another ledger, or of a checkpoint this ledger does not hold.
    #[error("the verification state does not match this ledger: {reason}")]
    StateMismatch {
        /// What differs.
        reason: String,
    },
    /// The state file or its directory could be changed by someone else, or is a symbolic
    /// link: it is neither read nor written.
    #[error("the verification state {path} is not safe to use: {reason}")]
    UnsafeState {
        /// The state file or directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Neither `XDG_STATE_HOME` nor `HOME` is set, so there is no default place for the state.
    #[error(
        "there is no default place for the verification state: neither XDG_STATE_HOME nor \
         HOME is set to an absolute path"
    )]
    NoStateDir,
    /// The ledger has no readable genesis entry to name its state by.
    #[error("the ledger has no readable genesis entry to name its verification state by")]
    NoGenesis,
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
    /// For a format 2 correction's replacement, the entry it supersedes.
    replaces: Option<u64>,
}

/// What the state file says (everything but its digest).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateBody {
    version: u32,
    /// The ledger's origin line.
    origin: String,
    /// Hash of the ledger's genesis entry (hex).
    genesis: String,
    /// The ledger's trust-root keys.
    trust_roots: Vec<TrustRoot>,
    /// Tree size of the checkpoint.
    size: u64,
    /// Root of the checkpoint (hex), as in its note.
    root: String,
    /// The checkpoint note with its cosignatures (text).
    checkpoint: String,
    /// The register snapshot after entry `size - 1` (docs/FORMAT.md), base64.
    registers: String,
    /// Disclosures not acknowledged after entry `size - 1`.
    open: Vec<OpenDisclosure>,
}

/// The state file as read: JSON `{"digest": HEX, "body": {...}}`, where the digest is the
/// SHA-256 of the body's exact JSON text. The body is kept as written, so checking the digest
/// re-serializes nothing (the state can be megabytes: it holds the register snapshot).
#[derive(Deserialize)]
struct StateFile<'a> {
    /// SHA-256 (hex) of the body's JSON: a state edited by hand, or damaged, is refused.
    digest: String,
    #[serde(borrow)]
    body: &'a serde_json::value::RawValue,
}

/// Just the format version of a state body (or of a state of an older, flat layout).
#[derive(Deserialize)]
struct VersionOnly {
    version: u64,
}

fn digest_of(json: &str) -> String {
    hex::encode(Sha256::digest(json.as_bytes()))
}

/// The directory the verifying user keeps verification states in:
/// `$XDG_STATE_HOME/dledger`, or `$HOME/.local/state/dledger`.
pub fn state_dir() -> Result<PathBuf, IncrementalError> {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = absolute("XDG_STATE_HOME")
        .or_else(|| absolute("HOME").map(|h| h.join(".local").join("state")))
        .ok_or(IncrementalError::NoStateDir)?;
    Ok(base.join("dledger"))
}

/// The file name of a ledger's state: its origin (characters other than letters, digits, `.`,
/// `-` and `_` replaced by `_`) and the SHA-256 of its genesis entry hash, so two ledgers never
/// share a state, even with the same origin.
pub fn state_file_name(origin: &str, genesis: &EntryHash) -> String {
    let origin: String = origin
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let id = hex::encode(Sha256::digest(genesis.0));
    format!("{origin}-{id}.verify-state")
}

/// The identity of the ledger in `store`: its origin and the hash of its genesis entry.
fn ledger_identity(store: &Store) -> Result<(String, EntryHash, Vec<TrustRoot>), IncrementalError> {
    let record = store.get(0)?.ok_or(IncrementalError::NoGenesis)?;
    let entry = codec::decode_entry(&record.bytes).map_err(|_| IncrementalError::NoGenesis)?;
    let Body::Genesis(g) = &entry.body else {
        return Err(IncrementalError::NoGenesis);
    };
    let roots = g
        .parties
        .iter()
        .map(|p| TrustRoot {
            party: p.id.clone(),
            name: p.trust_root.name.clone(),
            key_id: p.trust_root.key_id,
            trusted: None,
        })
        .collect();
    Ok((g.origin.clone(), EntryHash(leaf_hash(&record.bytes)), roots))
}

/// The default state file of the ledger in `store`: [`state_file_name`] in [`state_dir`], which
/// is created (owner-only, 0700) if need be. A state directory that is a symbolic link, or that
/// others can write to and cannot be made owner-only, is refused.
pub fn default_state_path(store: &Store) -> Result<PathBuf, IncrementalError> {
    let (origin, genesis, _) = ledger_identity(store)?;
    let dir = state_dir()?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|source| IncrementalError::Io {
            action: "create the directory of",
            path: dir.clone(),
            source,
        })?;
    let unsafe_dir = |reason: String| IncrementalError::UnsafeState {
        path: dir.clone(),
        reason,
    };
    let meta = fs::symlink_metadata(&dir).map_err(|source| IncrementalError::Io {
        action: "read",
        path: dir.clone(),
        source,
    })?;
    if meta.file_type().is_symlink() || !meta.is_dir() {
        return Err(unsafe_dir(
            "it is not a directory (perhaps a symbolic link)".into(),
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
            unsafe_dir(format!(
                "others can reach it (mode {:o}) and it cannot be made owner-only ({e})",
                meta.permissions().mode() & 0o777
            ))
        })?;
    }
    Ok(dir.join(state_file_name(&origin, &genesis)))
}

/// Refuses a state path that is a symbolic link, not a file, or writable by other users.
/// `Ok(false)` if there is nothing there.
pub(crate) fn check_state_path(path: &Path) -> Result<bool, IncrementalError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => {
            return Err(IncrementalError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            });
        }
    };
    let refuse = |reason: String| IncrementalError::UnsafeState {
        path: path.to_owned(),
        reason,
    };
    if meta.file_type().is_symlink() {
        return Err(refuse(
            "it is a symbolic link, and a state is never read or written through one".into(),
        ));
    }
    if !meta.is_file() {
        return Err(refuse("it is not a regular file".into()));
    }
    if meta.permissions().mode() & 0o022 != 0 {
        return Err(refuse(format!(
            "other users can write to it (mode {:o})",
            meta.permissions().mode() & 0o777
        )));
    }
    Ok(true)
}

/// The largest verification state read (its size grows with the disclosures still awaiting
/// acknowledgement: about 7.4 MB at 10^6 entries of the synthetic ledger).
pub const MAX_STATE_BYTES: u64 = 256 << 20;

/// Reads a state file; `Ok(None)` if there is none. A state of another format version, one
/// whose digest does not match (edited or damaged), or a symbolic link, is refused.
pub fn load_state(path: &Path) -> Result<Option<ResumePoint>, IncrementalError> {
    if !check_state_path(path)? {
        return Ok(None);
    }
    let bytes = crate::files::read_limited(path, MAX_STATE_BYTES, "verification state")?;
    let text = String::from_utf8(bytes).map_err(|_| IncrementalError::BadState {
        path: path.to_owned(),
        reason: "it is not UTF-8 text".into(),
    })?;
    let bad = |reason: String| IncrementalError::BadState {
        path: path.to_owned(),
        reason,
    };
    let wrong_version = |v: u64| {
        bad(format!(
            "it is in state format version {v}, and this build reads only version \
             {STATE_VERSION}"
        ))
    };
    let state: StateFile = match serde_json::from_str(&text) {
        Ok(s) => s,
        // An older state (flat, with its version at the top) or not a state at all.
        Err(e) => {
            return Err(match serde_json::from_str::<VersionOnly>(&text) {
                Ok(old) => wrong_version(old.version),
                Err(_) => bad(format!("it is not a verification state ({e})")),
            });
        }
    };
    let version = serde_json::from_str::<VersionOnly>(state.body.get())
        .map_err(|_| bad("it has no format version".into()))?
        .version;
    if version != u64::from(STATE_VERSION) {
        return Err(wrong_version(version));
    }
    if digest_of(state.body.get()) != state.digest {
        return Err(bad(
            "its digest does not match its contents: it was edited or damaged".into(),
        ));
    }
    let body: StateBody = serde_json::from_str(state.body.get())
        .map_err(|e| bad(format!("it is not a verification state ({e})")))?;
    let bytes = BASE64
        .decode(&body.registers)
        .map_err(|e| bad(format!("its registers are not base64 ({e})")))?;
    let registers =
        codec::decode_snapshot(&bytes).ok_or_else(|| bad("its registers cannot be read".into()))?;
    if registers.head.map(|(s, _, _)| s.0 + 1) != Some(body.size) {
        return Err(bad(format!(
            "its registers are not those after entry #{}",
            body.size.saturating_sub(1)
        )));
    }
    if registers.origin.as_deref() != Some(body.origin.as_str()) {
        return Err(bad("its registers are of another ledger".into()));
    }
    if trust_roots(&registers) != body.trust_roots {
        return Err(bad(
            "its registers name other trust-root keys than the state does".into(),
        ));
    }
    let note = tlog::Note::parse(body.checkpoint.as_bytes())
        .ok()
        .and_then(|n| tlog::Checkpoint::from_note(&n).ok())
        .ok_or_else(|| bad("its checkpoint note cannot be read".into()))?;
    if note.size != body.size || hex::encode(note.root) != body.root || note.origin != body.origin {
        return Err(bad(
            "its checkpoint note is not for the size, root and origin it records".into(),
        ));
    }
    let genesis = hex::decode(&body.genesis)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| bad("its genesis hash cannot be read".into()))?;
    let open = body
        .open
        .into_iter()
        .map(|d| {
            (
                Seq(d.seq),
                DisclosureSummary {
                    from: d.from,
                    to: d.to,
                    disclosed_at: d.disclosed_at,
                    recorded_at: d.recorded_at,
                    acknowledged: None,
                    corrected_by: d.corrected_by.into_iter().map(Seq).collect(),
                    replaces: d.replaces.map(Seq),
                },
            )
        })
        .collect();
    Ok(Some(ResumePoint {
        size: body.size,
        note: body.checkpoint.into_bytes(),
        registers,
        open,
        genesis: EntryHash(genesis),
        trust_roots: body.trust_roots,
        index: None,
    }))
}

/// Writes a state file durably without following a symbolic link: the new state goes to a
/// fresh temporary file in the same directory (created exclusively, owner-only 0600), is
/// flushed to disk, and is renamed over the old one. A state path that is a symbolic link or
/// writable by others is refused.
pub fn save_state(path: &Path, point: &ResumePoint) -> Result<(), IncrementalError> {
    check_state_path(path)?;
    let registers =
        codec::encode_snapshot(&point.registers).map_err(|e| IncrementalError::BadState {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    let root = tlog::Note::parse(&point.note)
        .ok()
        .and_then(|n| tlog::Checkpoint::from_note(&n).ok())
        .map(|c| hex::encode(c.root))
        .unwrap_or_default();
    let body = StateBody {
        version: STATE_VERSION,
        origin: point.registers.origin.clone().unwrap_or_default(),
        genesis: hex::encode(point.genesis.0),
        trust_roots: point
            .trust_roots
            .iter()
            .map(|r| TrustRoot {
                trusted: None,
                ..r.clone()
            })
            .collect(),
        size: point.size,
        root,
        checkpoint: String::from_utf8_lossy(&point.note).into_owned(),
        registers: BASE64.encode(registers),
        open: point
            .open
            .iter()
            .map(|(seq, d)| OpenDisclosure {
                seq: seq.0,
                from: d.from.clone(),
                to: d.to.clone(),
                disclosed_at: d.disclosed_at,
                recorded_at: d.recorded_at,
                corrected_by: d.corrected_by.iter().map(|s| s.0).collect(),
                replaces: d.replaces.map(|s| s.0),
            })
            .collect(),
    };
    let body = serde_json::to_string(&body).expect("the state serializes");
    let text = format!("{{\"digest\":\"{}\",\"body\":{body}}}\n", digest_of(&body));
    // Owner-only, written beside the path and renamed over it; a link at the path is refused.
    crate::files::replace_private_file(path, text.as_bytes())?;
    Ok(())
}

/// Checks that `point` is a state of the ledger in `store`: same genesis entry, same trust-root
/// keys.
fn check_binding(store: &Store, point: &ResumePoint) -> Result<(), IncrementalError> {
    let (origin, genesis, roots) = ledger_identity(store).map_err(|e| match e {
        IncrementalError::NoGenesis => IncrementalError::StateMismatch {
            reason: "the ledger has no readable genesis entry".into(),
        },
        e => e,
    })?;
    if genesis != point.genesis {
        return Err(IncrementalError::StateMismatch {
            reason: format!(
                "it was saved for the ledger whose genesis entry hashes to {}, but this \
                 ledger's ({origin}) hashes to {genesis}: another ledger, or its genesis entry \
                 was changed",
                point.genesis
            ),
        });
    }
    let mut theirs: Vec<_> = point
        .trust_roots
        .iter()
        .map(|r| (r.party.clone(), r.name.clone(), r.key_id))
        .collect();
    let mut ours: Vec<_> = roots
        .iter()
        .map(|r| (r.party.clone(), r.name.clone(), r.key_id))
        .collect();
    theirs.sort();
    ours.sort();
    if theirs != ours {
        let list = |l: &[(PartyId, String, crate::model::KeyId)]| {
            l.iter()
                .map(|(p, n, k)| format!("{p} {n} ({k})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(IncrementalError::StateMismatch {
            reason: format!(
                "it was saved for the trust-root keys {}, but this ledger's genesis names {}",
                list(&theirs),
                list(&ours)
            ),
        });
    }
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
/// cosigned checkpoint. With `index_copy` (the verifier's copy of the entry index at the
/// point, [`crate::index_copy`]), the newer checkpoints' index roots are rebuilt too.
pub fn verify_since(
    store: &Store,
    point: &ResumePoint,
    opts: &VerifyOptions,
    filter: &FlagFilter,
    index_copy: Option<&Path>,
) -> Result<(Report, Option<ResumePoint>), IncrementalError> {
    check_binding(store, point)?;
    let size = point.size;
    let (_, head_hash, head_time) = point.registers.head.expect("checked when loaded");
    let origin = point.registers.origin.clone().unwrap_or_default();
    let mut reg = Registers::from_snapshot(point.registers.clone());
    for (seq, d) in &point.open {
        reg.insert_loaded(*seq, EntryKind::Disclosure, &d.from, Some(d.clone()));
    }
    let open: BTreeSet<u64> = point.open.iter().map(|(s, _)| s.0).collect();

    // 1. The ledger still extends the checkpoint: same root at its size from the stored tree.
    let len = store.len()?;
    let root = (len >= size)
        .then(|| tlog::tree_hash(size, store).ok())
        .flatten();
    let problem = match root {
        None if len < size => Some((
            IntegrityKind::Rollback,
            format!(
                "the ledger now holds {len} entries, fewer than the {size} of the cosigned \
                 checkpoint verified earlier: entries were removed (a rollback)"
            ),
        )),
        None => Some((
            IntegrityKind::CheckpointMismatch,
            "the stored Merkle hashes at that size cannot be read".to_owned(),
        )),
        Some(r) => check_checkpoint(&point.note, &origin, &reg, |n| (n == size).then_some(r))
            .err()
            .map(|e| {
                (
                    IntegrityKind::CheckpointMismatch,
                    format!(
                        "the ledger no longer matches the cosigned checkpoint of size {size} \
                         verified earlier ({e}): its history was rewritten, or this is another \
                         copy"
                    ),
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
        let (kind, problem) = problem.unwrap_or_else(|| {
            (
                IntegrityKind::CheckpointMismatch,
                "the stored Merkle hashes cannot be read".to_owned(),
            )
        });
        v.fail_at(
            Seq(size.saturating_sub(1)),
            kind,
            format!("{problem}. Run a full `dledger verify` to find where the ledger changed"),
        );
        crate::verify::check_trust(&mut v, opts.trusted.as_deref());
        let verified = v.finish();
        let policy = crate::verify::PolicyReport {
            disclosures: 0,
            flagged_disclosures: 0,
            counts: Default::default(),
            flags: Vec::new(),
            filtered: None,
            replaced: Vec::new(),
            on_documents: 0,
            disposed: Vec::new(),
            dispositions_without_flag: Vec::new(),
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
    let load_one = move |v: &mut Verifier, target: Seq| {
        match read_proved(store, target.0, size, &root) {
            Ok(old) => {
                // Not open at the checkpoint, so acknowledged before it (when exactly is not
                // needed: flags about it were reported by the run that verified it).
                let disclosure = DisclosureSummary::of(&old).map(|d| DisclosureSummary {
                    acknowledged: Some((old.seq, old.recorded_at)),
                    ..d
                });
                v.registers_mut().insert_loaded(
                    target,
                    old.body.kind(),
                    &old.signer.party,
                    disclosure,
                );
                loaded_by_loader.borrow_mut().insert(target.0);
            }
            Err(message) => v.fail_at(Seq(target.0), IntegrityKind::TreeMismatch, message),
        }
    };
    let load = move |v: &mut Verifier, entry: &Entry| {
        for target in entry.body.references() {
            if target.0 >= size || !v.registers().needs_loading(target) {
                continue;
            }
            load_one(v, target);
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
        index: index_copy.zip(crate::index_copy::signed_index_root(&point.note)),
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

/// What [`verify_with_state`] found and did with the state file.
#[derive(Debug)]
pub struct StateRun {
    /// The report.
    pub report: Report,
    /// There was no state: every entry was checked.
    pub from_start: bool,
    /// The size of the cosigned checkpoint the state was moved on to, if it was.
    pub saved: Option<u64>,
    /// The verifier's copy of the entry index could not be saved (the next run says the newer
    /// index roots were not rebuilt).
    pub index_copy_failed: Option<String>,
}

/// `verify --since-checkpoint` (and every mirror run): verifies what was recorded after the
/// point saved in `state` (everything, when there is none), moves the state on to the newest
/// cosigned checkpoint if the ledger is intact, and keeps the verifier's copy of the entry
/// index beside it ([`crate::index_copy`]).
pub fn verify_with_state(
    store: &Store,
    state: &Path,
    opts: &VerifyOptions,
    filter: &FlagFilter,
) -> Result<StateRun, IncrementalError> {
    use crate::index_copy::{index_copy_path, save_index_copy};
    let copy = index_copy_path(state);
    let previous = load_state(state)?;
    let (report, mut next) = match &previous {
        Some(point) => verify_since(store, point, opts, filter, Some(&copy))?,
        None => verify_from_start(store, opts, filter)?,
    };
    let intact = report.integrity.status == crate::verify::IntegrityStatus::Intact;
    let mut built = next.as_mut().and_then(|point| point.index.take());
    let mut saved = None;
    if let Some(point) = &next {
        save_state(state, point)?;
        saved = Some(point.size);
    }
    let mut index_copy_failed = None;
    if intact && let Some(point) = next.as_ref().or(previous.as_ref()) {
        let before = previous.as_ref().map(|p| (p.size, p.note.as_slice()));
        if let Err(e) = save_index_copy(
            state,
            store,
            point.size,
            &point.note,
            before,
            built.as_mut(),
        ) {
            index_copy_failed = Some(e.to_string());
        }
    }
    Ok(StateRun {
        report,
        from_start: previous.is_none(),
        saved,
        index_copy_failed,
    })
}
