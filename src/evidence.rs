//! Evidence bundles for legal teams, and their offline verification.
//!
//! A bundle is a directory that proves, to someone who has no access to the ledger, what one
//! entry records, who signed it, that it is part of the ledger's history as both regulators
//! signed it (a cosigned C2SP checkpoint), and the values of the fields the legal team asked to
//! open. [`build_bundle`] makes one from a ledger; [`verify_bundle`] checks one with nothing but
//! the parties' trusted public keys. Every file and every check is described in
//! docs/EVIDENCE.md.
//!
//! Layout (all paths relative to the bundle directory):
//!
//! ```text
//! README.txt                what each file proves and how to check it by hand
//! summary.txt               plain-language summary (re-derived and compared by the verifier)
//! manifest.json             format, origin, target, tree size, entries, files with SHA-256
//! checkpoint.note           the cosigned C2SP checkpoint every proof leads to
//! openings.json             opened field values (value + salt) and erased fields
//! entries/<seq>.bin         entry bytes (docs/FORMAT.md)
//! entries/<seq>.sig         the entry's Ed25519 signature, base64
//! entries/<seq>.tlog-proof  c2sp.org/tlog-proof@v1 inclusion proof to checkpoint.note
//! ```
//!
//! The verifier treats every file as hostile: sizes are limited before reading, symlinks and
//! unknown files are refused, and nothing in a bundle can make it panic.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, KeyKind, Note, TlogProof};
use crate::codec::{self, MAX_ENTRY_BYTES};
use crate::hash::{Digest, field_commitment, leaf_hash, sha256};
use crate::keys::{PublicKey, verify_entry_signature};
use crate::ledger::{ReplayError, open_registers, referring_entries};
use crate::merkle::{self, ProofError};
use crate::model::{
    Body, Category, Disclosure, Entry, EntryKind, FieldName, Notification, PartyId,
    PublicKeyRecord, Seq, Timestamp,
};
use crate::registers::{KeyStatus, Registers};
use crate::rules;
use crate::store::{Store, StoreError};
use crate::witness::{check_checkpoint, party_keys};

/// The `format` value of every bundle manifest.
pub const BUNDLE_FORMAT: &str = "disclosure-ledger-evidence";

/// The bundle format version this build writes and reads.
pub const BUNDLE_VERSION: u32 = 1;

/// The manifest file.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The plain-language guide for lawyers.
pub const README_FILE: &str = "README.txt";
/// The plain-language summary of what the bundle shows.
pub const SUMMARY_FILE: &str = "summary.txt";
/// The cosigned checkpoint note.
pub const CHECKPOINT_FILE: &str = "checkpoint.note";
/// The field openings.
pub const OPENINGS_FILE: &str = "openings.json";
/// The directory of entry files.
pub const ENTRIES_DIR: &str = "entries";

/// Most entries a bundle may hold (genesis, key history, the target and its references).
pub const MAX_BUNDLE_ENTRIES: usize = 1000;
/// Most bytes the verifier reads from one bundle in all.
pub const MAX_BUNDLE_BYTES: u64 = 256 << 20;

const MAX_MANIFEST_BYTES: u64 = 1 << 20;
const MAX_TEXT_BYTES: u64 = 1 << 20;
const MAX_NOTE_BYTES: u64 = 64 << 10;
const MAX_PROOF_BYTES: u64 = 64 << 10;
const MAX_SIG_BYTES: u64 = 256;
const MAX_OPENINGS_BYTES: u64 = 16 << 20;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a bundle could not be built, written or read. (A bundle that is read but fails a check
/// is not an error: it is an [`EvidenceReport`] whose checks say what failed.)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The ledger has no entry with that number.
    #[error(
        "there is no entry #{seq}; the ledger has {len} entries (0 to {}). Check the number with \
         `dledger list`",
        len.saturating_sub(1)
    )]
    NoSuchEntry {
        /// The entry asked for.
        seq: u64,
        /// Entries in the ledger.
        len: u64,
    },
    /// No stored checkpoint covers the entry and carries a valid cosignature by another party.
    #[error(
        "no checkpoint cosigned by a second regulator covers entry #{seq} ({}). An evidence bundle \
         must prove the entry against a tree head both regulators signed: make a checkpoint with \
         `dledger checkpoint --key YOUR.key -o checkpoint.note`, have the other regulator cosign \
         it with `dledger cosign checkpoint.note --key THEIR.key`, then run `dledger evidence` \
         again",
        covered(*latest)
    )]
    NoCosignedCheckpoint {
        /// The entry asked for.
        seq: u64,
        /// Size of the latest valid cosigned checkpoint, if any.
        latest: Option<u64>,
    },
    /// `--open` asked for fields of an entry that has none.
    #[error(
        "entry #{seq} ({kind}) records no fields, so there is nothing to open; --open applies to \
         disclosures and to corrections that carry a replacement disclosure"
    )]
    NoFields {
        /// The entry.
        seq: u64,
        /// Its kind.
        kind: EntryKind,
    },
    /// `--open` named a field the entry does not record.
    #[error(
        "entry #{seq} records no field {field:?}; its fields are: {}",
        if available.is_empty() { "(none)".to_owned() } else { available.join(", ") }
    )]
    UnknownField {
        /// The entry.
        seq: u64,
        /// The field asked for.
        field: String,
        /// The fields it does record.
        available: Vec<String>,
    },
    /// The vault has neither the value nor a record of its erasure.
    #[error(
        "the vault holds no value for field {field} of entry #{seq}, and no erasure of it is \
         recorded; the ledger's vault is incomplete. Leave the field out of --open, or restore the \
         ledger file from a backup"
    )]
    NoValue {
        /// The entry.
        seq: u64,
        /// The field.
        field: String,
    },
    /// The ledger is damaged; evidence from it would not verify.
    #[error(
        "cannot build evidence: {reason}. Run `dledger verify` on the ledger to find the damage"
    )]
    Damaged {
        /// What is wrong.
        reason: String,
    },
    /// The bundle that was built does not pass its own verification (a damaged ledger or a bug).
    #[error(
        "the bundle built for entry #{seq} fails its own verification, so it was not written: {}. \
         Run `dledger verify` on the ledger",
        failures.join("; ")
    )]
    SelfCheck {
        /// The entry.
        seq: u64,
        /// The failed checks.
        failures: Vec<String>,
    },
    /// The output directory already exists.
    #[error(
        "{} already exists; an evidence bundle is always written to a new directory. Choose \
         another name, or move the old one away",
        path.display()
    )]
    DirExists {
        /// The directory.
        path: PathBuf,
    },
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// "read", "write", "create".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The path is not a bundle directory at all.
    #[error("{} is not an evidence bundle: {reason}", path.display())]
    NotABundle {
        /// The path given.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A trusted key file is unreadable or malformed.
    #[error(
        "trusted key {}: {reason}. The trust directory must hold only C2SP verifier keys \
         (<name>+<keyid>+<base64>) as *.vkey files",
        path.display()
    )]
    Trust {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The trust directory holds no `*.vkey` file.
    #[error(
        "{} holds no *.vkey files; pass --trust a directory with the regulators' published public \
         keys (their trust roots), obtained from them directly",
        dir.display()
    )]
    NoTrustedKeys {
        /// The directory.
        dir: PathBuf,
    },
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Replaying the ledger failed.
    #[error("cannot build evidence: {0}. Run `dledger verify` on the ledger")]
    Replay(#[from] ReplayError),
    /// The Merkle tree could not produce a proof.
    #[error("cannot prove inclusion: {0}. Run `dledger verify` on the ledger")]
    Proof(#[from] ProofError),
}

/// How far the latest cosigned checkpoint reaches, for [`EvidenceError::NoCosignedCheckpoint`].
fn covered(latest: Option<u64>) -> String {
    match latest {
        Some(n) => format!("the latest cosigned checkpoint covers only the first {n} entries"),
        None => "the ledger has no cosigned checkpoint".to_owned(),
    }
}

fn damaged(reason: impl Into<String>) -> EvidenceError {
    EvidenceError::Damaged {
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------
// File formats
// ---------------------------------------------------------------------------

/// Why an entry is in a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The entry the bundle is about.
    Target,
    /// The ledger's genesis entry (parties and trust roots).
    Genesis,
    /// A key added, rotated or revoked by a party the bundle relies on.
    KeyHistory,
    /// An acknowledgement of the target disclosure.
    Acknowledgement,
    /// A correction that supersedes the target.
    Correction,
    /// The entry the target (a correction) supersedes.
    Superseded,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Target => "target",
            Role::Genesis => "genesis",
            Role::KeyHistory => "key-history",
            Role::Acknowledgement => "acknowledgement",
            Role::Correction => "correction",
            Role::Superseded => "superseded",
        }
    }
}

/// One entry listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Sequence number; its files are `entries/<seq>.bin`, `.sig`, `.tlog-proof`.
    pub seq: u64,
    /// Entry kind, e.g. `disclosure`.
    pub kind: EntryKind,
    /// Why it is in the bundle.
    pub role: Role,
    /// Its leaf (entry) hash, hex: SHA-256(0x00 ‖ entry bytes).
    pub leaf_hash: String,
}

/// One file listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Path relative to the bundle directory, `/`-separated.
    pub path: String,
    /// Length in bytes.
    pub bytes: u64,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

/// `manifest.json`: what the bundle is and what it holds. Not signed: the signatures and
/// proofs inside the files are what establish authenticity; the file hashes catch damage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// Always [`BUNDLE_VERSION`].
    pub version: u32,
    /// The ledger's origin line (as in its genesis entry and checkpoints).
    pub origin: String,
    /// The entry the bundle is about.
    pub target: u64,
    /// Size of the tree of the checkpoint in `checkpoint.note`.
    pub tree_size: u64,
    /// When the bundle was made (informational).
    pub created_at: Timestamp,
    /// The program that made it (informational).
    pub created_by: String,
    /// Every entry in the bundle, by sequence number.
    pub entries: Vec<ManifestEntry>,
    /// Every file in the bundle except `manifest.json`, sorted by path.
    pub files: Vec<ManifestFile>,
}

/// One field in `openings.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Opening {
    /// The value and salt, which reproduce the field's commitment.
    Opened {
        /// Field name.
        name: String,
        /// The commitment in the entry, hex (for checking by hand).
        commitment: String,
        /// The value, exactly as committed (UTF-8 text).
        value: String,
        /// The 32-byte salt, hex.
        salt: String,
    },
    /// The value was erased from the vault when its retention ended.
    Erased {
        /// Field name.
        name: String,
        /// The commitment in the entry, hex.
        commitment: String,
        /// When the value was erased (the bundle maker's statement; not provable).
        erased_at: Timestamp,
    },
}

impl Opening {
    fn name(&self) -> &str {
        match self {
            Opening::Opened { name, .. } | Opening::Erased { name, .. } => name,
        }
    }
}

/// `openings.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Openings {
    /// The entry whose fields these are (the target).
    pub entry: u64,
    /// Requested fields, then any other erased fields, in the entry's field order.
    pub fields: Vec<Opening>,
}

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

/// The checks `verify_bundle` runs; each appears in the report once per thing checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckName {
    /// The directory holds only bundle files, each within its size limit.
    Files,
    /// `manifest.json` parses, is a known version, and every file matches its SHA-256.
    Manifest,
    /// The genesis entry's trust roots include the trusted keys of the parties relied on.
    TrustRoots,
    /// An entry file decodes (docs/FORMAT.md) and is the entry it claims to be.
    EntryDecode,
    /// An entry's signature verifies under a key its party held at that point.
    EntrySignature,
    /// An entry's leaf hash matches the manifest.
    LeafHash,
    /// The key history replays: each key entry signed by a then-valid key and well-formed.
    KeyHistory,
    /// An entry's inclusion proof leads to the checkpoint's root.
    InclusionProof,
    /// The checkpoint parses, is for this ledger and is signed by a party as log operator.
    CheckpointSignature,
    /// The checkpoint is cosigned by a different party.
    Cosignature,
    /// Each entry is related to the target as its role says (acknowledgement, correction...).
    References,
    /// An opened field reproduces its commitment (or is stated as erased).
    FieldOpening,
    /// `summary.txt` says exactly what the verified entries say.
    Summary,
}

impl CheckName {
    /// The kebab-case name shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Files => "files",
            CheckName::Manifest => "manifest",
            CheckName::TrustRoots => "trust-roots",
            CheckName::EntryDecode => "entry-decode",
            CheckName::EntrySignature => "entry-signature",
            CheckName::LeafHash => "leaf-hash",
            CheckName::KeyHistory => "key-history",
            CheckName::InclusionProof => "inclusion-proof",
            CheckName::CheckpointSignature => "checkpoint-signature",
            CheckName::Cosignature => "cosignature",
            CheckName::References => "references",
            CheckName::FieldOpening => "field-opening",
            CheckName::Summary => "summary",
        }
    }
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// Whether it passed.
    pub ok: bool,
    /// What was checked and found, in plain words.
    pub detail: String,
}

/// What the bundle shows about one field of the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldReport {
    /// Field name.
    pub name: String,
    /// `opened`, `erased` or `not-opened`.
    pub status: &'static str,
    /// The opened value (only when opened and it matches its commitment).
    pub value: Option<String>,
    /// When the value was erased (only when erased).
    pub erased_at: Option<Timestamp>,
}

/// A verified cosignature on the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cosigner {
    /// The cosigning party.
    pub party: PartyId,
    /// Its key name.
    pub key: String,
    /// When it cosigned.
    pub at: Timestamp,
}

/// The outcome of verifying a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceReport {
    /// True when every check passed.
    pub ok: bool,
    /// The ledger's origin, if the manifest could be read.
    pub origin: Option<String>,
    /// The target entry, if the manifest could be read.
    pub target: Option<u64>,
    /// The checkpoint's tree size, if it could be read.
    pub tree_size: Option<u64>,
    /// Number of hashes in the target's inclusion proof, if it could be read.
    pub proof_hashes: Option<usize>,
    /// The party that signed the checkpoint as log operator, if its signature verified.
    pub checkpoint_signer: Option<PartyId>,
    /// Parties whose cosignature verified.
    pub cosigners: Vec<Cosigner>,
    /// The target's fields.
    pub fields: Vec<FieldReport>,
    /// Every check, in the order run.
    pub checks: Vec<Check>,
    /// The plain-language summary of the entries (empty if the target could not be read).
    pub summary: String,
}

impl EvidenceReport {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    /// Whether a check of this name failed.
    pub fn failed(&self, name: CheckName) -> bool {
        self.failures().any(|c| c.name == name)
    }

    /// Plain-language text: the verdict, every check, then the summary.
    pub fn to_text(&self, bundle: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Evidence bundle: {bundle}");
        let failed = self.failures().count();
        if self.ok {
            let _ = writeln!(
                out,
                "Result: VERIFIED. All {} checks passed: the entries are genuine, signed by keys \
                 their regulators held at the time, and part of the ledger's history as both \
                 regulators signed it.",
                self.checks.len()
            );
        } else {
            let _ = writeln!(
                out,
                "Result: FAILED. {failed} of {} checks failed (marked FAIL below). Do not rely on \
                 this bundle; ask whoever supplied it for a fresh copy made with `dledger \
                 evidence`.",
                self.checks.len()
            );
        }
        let _ = writeln!(out, "\nChecks:");
        for c in &self.checks {
            let _ = writeln!(
                out,
                "  {:<4}  {:<20}  {}",
                if c.ok { "ok" } else { "FAIL" },
                c.name.as_str(),
                c.detail
            );
        }
        if !self.summary.is_empty() {
            let _ = writeln!(out);
            if !self.ok {
                let _ = writeln!(
                    out,
                    "What the bundle claims (NOT VERIFIED: see the failed checks above):\n"
                );
            }
            out.push_str(&self.summary);
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Trusted keys
// ---------------------------------------------------------------------------

/// Loads every `*.vkey` file of `dir` (other files, such as private keys, are ignored).
pub fn load_trust_dir(dir: &Path) -> Result<Vec<PublicKey>, EvidenceError> {
    let io = |source| EvidenceError::Io {
        action: "read",
        path: dir.to_owned(),
        source,
    };
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "vkey"));
    paths.sort();
    if paths.is_empty() {
        return Err(EvidenceError::NoTrustedKeys {
            dir: dir.to_owned(),
        });
    }
    paths
        .iter()
        .map(|p| {
            PublicKey::load(p).map_err(|e| EvidenceError::Trust {
                path: p.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}

fn is_trusted(record: &PublicKeyRecord, trusted: &[PublicKey]) -> bool {
    trusted.iter().any(|t| {
        t.key_id == record.key_id && t.name == record.name && t.key.as_bytes() == &record.public
    })
}

// ---------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------

/// An evidence bundle in memory: its files by relative path.
#[derive(Debug, Clone)]
pub struct Bundle {
    files: BTreeMap<String, Vec<u8>>,
    manifest: Manifest,
    report: EvidenceReport,
}

impl Bundle {
    /// The files, by relative path (`/`-separated), manifest included.
    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The bundle's own verification report, made against the ledger's genesis trust roots.
    pub fn report(&self) -> &EvidenceReport {
        &self.report
    }

    /// Total size of the files in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|f| f.len() as u64).sum()
    }

    /// Writes the bundle to the new directory `dir`, refusing one that exists. On failure the
    /// partly written directory is removed.
    pub fn write(&self, dir: &Path) -> Result<(), EvidenceError> {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|source| EvidenceError::Io {
                action: "create",
                path: parent.to_owned(),
                source,
            })?;
        }
        fs::create_dir(dir).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                EvidenceError::DirExists {
                    path: dir.to_owned(),
                }
            } else {
                EvidenceError::Io {
                    action: "create",
                    path: dir.to_owned(),
                    source,
                }
            }
        })?;
        let result = self.write_files(dir);
        if result.is_err() {
            let _ = fs::remove_dir_all(dir);
        }
        result
    }

    fn write_files(&self, dir: &Path) -> Result<(), EvidenceError> {
        use std::io::Write as _;
        let entries = dir.join(ENTRIES_DIR);
        fs::create_dir(&entries).map_err(|source| EvidenceError::Io {
            action: "create",
            path: entries.clone(),
            source,
        })?;
        let mut written = Vec::with_capacity(self.files.len());
        for (rel, bytes) in &self.files {
            let path = dir.join(rel);
            let f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut f| f.write_all(bytes).map(|()| f))
                .map_err(|source| EvidenceError::Io {
                    action: "write",
                    path: path.clone(),
                    source,
                })?;
            written.push((path, f));
        }
        // Flush every file to disk at once rather than one after another: the file system
        // commits concurrent flushes together, which takes the wall time of a bundle from one
        // disk flush per file to a few.
        std::thread::scope(|s| {
            let flushes: Vec<_> = written
                .iter()
                .map(|(path, f)| s.spawn(move || f.sync_all().map_err(|e| (path.clone(), e))))
                .collect();
            flushes
                .into_iter()
                .map(|h| h.join().expect("a flush thread does not panic"))
                .collect::<Result<Vec<()>, _>>()
        })
        .map_err(|(path, source)| EvidenceError::Io {
            action: "write",
            path,
            source,
        })?;
        // Make the new directory entries durable too.
        for d in [entries.as_path(), dir] {
            fs::File::open(d)
                .and_then(|f| f.sync_all())
                .map_err(|source| EvidenceError::Io {
                    action: "write",
                    path: d.to_owned(),
                    source,
                })?;
        }
        Ok(())
    }
}

/// A bundle's files by relative path.
type Files = BTreeMap<String, Vec<u8>>;

fn entry_path(seq: u64, ext: &str) -> String {
    format!("{ENTRIES_DIR}/{seq}.{ext}")
}

/// The fields an entry records: a disclosure's, or a correction's replacement's.
fn entry_fields(entry: &Entry) -> Option<&Disclosure> {
    match &entry.body {
        Body::Disclosure(d) => Some(d),
        Body::Correction(c) => c.replacement.as_ref(),
        _ => None,
    }
}

fn key_party(body: &Body) -> Option<&PartyId> {
    match body {
        Body::KeyAdded(k) => Some(&k.party),
        Body::KeyRotated(k) => Some(&k.party),
        Body::KeyRevoked(k) => Some(&k.party),
        _ => None,
    }
}

fn is_key_history(kind: EntryKind) -> bool {
    matches!(
        kind,
        EntryKind::KeyAdded | EntryKind::KeyRotated | EntryKind::KeyRevoked
    )
}

struct Record {
    entry: Entry,
    bytes: Vec<u8>,
    signature: [u8; 64],
}

/// Builds the evidence bundle for entry `seq`, opening the fields named in `open`.
///
/// The bundle proves the entry against the latest stored checkpoint that covers it and carries
/// a valid cosignature by a party other than its signer. It holds the entry, the
/// acknowledgements and corrections that refer to it (up to that checkpoint), the genesis entry,
/// the key history of every party relied on, each with its signature and inclusion proof, and
/// the openings. The bundle is verified against the genesis trust roots before it is returned.
pub fn build_bundle(store: &Store, seq: u64, open: &[FieldName]) -> Result<Bundle, EvidenceError> {
    let len = store.len()?;
    if seq >= len {
        return Err(EvidenceError::NoSuchEntry { seq, len });
    }
    let reg = open_registers(store)?;
    let origin = reg
        .origin
        .clone()
        .ok_or_else(|| damaged("the ledger has no genesis entry"))?;

    // The latest checkpoint covering the entry that checks out and is cosigned by another party.
    let mut latest_cosigned = None;
    let mut chosen = None;
    for (size, note) in store.checkpoints()?.into_iter().rev() {
        let root_at = |n: u64| {
            (n <= len)
                .then(|| merkle::tree_hash(n, store).ok())
                .flatten()
        };
        let Ok(checked) = check_checkpoint(&note, &origin, &reg, root_at) else {
            continue;
        };
        if checked.cosigners.is_empty() {
            continue;
        }
        latest_cosigned.get_or_insert(size);
        if size > seq {
            chosen = Some((size, note, checked));
            break;
        }
    }
    let Some((size, note_bytes, checked)) = chosen else {
        return Err(EvidenceError::NoCosignedCheckpoint {
            seq,
            latest: latest_cosigned,
        });
    };
    let note = Note::parse(&note_bytes).map_err(|e| damaged(e.to_string()))?;

    // The target, what refers to it, and the key history: looked up, not scanned for.
    let mut records: BTreeMap<u64, Record> = BTreeMap::new();
    let mut target: Option<Entry> = None;
    let all_keys: Vec<u64> = reg
        .key_entries
        .iter()
        .map(|s| s.0)
        .filter(|&s| s < size)
        .collect();
    let referring = referring_entries(store, seq, size)?;
    let wanted: BTreeSet<u64> = [0, seq]
        .into_iter()
        .chain(all_keys.iter().copied())
        .chain(referring)
        .collect();
    for key in wanted {
        let r = store
            .get(key)?
            .ok_or_else(|| damaged(format!("entry #{key} is missing")))?;
        if let Some(why) = &r.malformed {
            return Err(damaged(format!("entry #{} cannot be read: {why}", r.key)));
        }
        let entry = codec::decode_entry(&r.bytes)
            .map_err(|e| damaged(format!("entry #{} cannot be decoded: {e}", r.key)))?;
        let keep = match &entry.body {
            _ if key == seq || key == 0 => true,
            Body::KeyAdded(_) | Body::KeyRotated(_) | Body::KeyRevoked(_) => true,
            Body::Acknowledgement(a) => a.disclosure.0 == seq,
            Body::Correction(c) => c.supersedes.0 == seq,
            _ => false,
        };
        if key == seq {
            target = Some(entry.clone());
        }
        if keep {
            let signature = r
                .signature
                .ok_or_else(|| damaged(format!("entry #{} has no stored signature", r.key)))?;
            records.insert(
                r.key,
                Record {
                    entry,
                    bytes: r.bytes,
                    signature,
                },
            );
        }
    }
    let target = target.ok_or_else(|| damaged(format!("entry #{seq} is missing")))?;
    // A correction's bundle also carries the entry it supersedes.
    if let Body::Correction(c) = &target.body
        && c.supersedes.0 < seq
    {
        let r = store
            .get(c.supersedes.0)?
            .ok_or_else(|| damaged(format!("entry {} is missing", c.supersedes)))?;
        if let Some(why) = &r.malformed {
            return Err(damaged(format!("entry #{} cannot be read: {why}", r.key)));
        }
        let entry = codec::decode_entry(&r.bytes)
            .map_err(|e| damaged(format!("entry #{} cannot be decoded: {e}", r.key)))?;
        let signature = r
            .signature
            .ok_or_else(|| damaged(format!("entry #{} has no stored signature", r.key)))?;
        records.insert(
            r.key,
            Record {
                entry,
                bytes: r.bytes,
                signature,
            },
        );
    }

    // The parties relied on: signers of the entries, the disclosure's parties, the checkpoint's
    // signer and cosigners. Only their key history is carried.
    let mut parties: BTreeSet<PartyId> = BTreeSet::new();
    for r in records.values() {
        if !is_key_history(r.entry.body.kind()) || r.entry.seq.0 == seq {
            parties.insert(r.entry.signer.party.clone());
        }
        if let Some(d) = entry_fields(&r.entry) {
            parties.insert(d.from.clone());
            parties.insert(d.to.clone());
        }
    }
    parties.insert(checked.signer.clone());
    parties.extend(checked.cosigners.iter().map(|(p, _)| p.clone()));
    for k in all_keys {
        let keep = k == seq
            || records
                .get(&k)
                .and_then(|r| key_party(&r.entry.body))
                .is_some_and(|p| parties.contains(p));
        if !keep {
            records.remove(&k);
        }
    }

    // Entry files.
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut manifest_entries = Vec::new();
    let superseded = match &target.body {
        Body::Correction(c) => Some(c.supersedes.0),
        _ => None,
    };
    for (&s, r) in &records {
        let role = if s == seq {
            Role::Target
        } else if s == 0 {
            Role::Genesis
        } else if is_key_history(r.entry.body.kind()) {
            Role::KeyHistory
        } else if superseded == Some(s) {
            Role::Superseded
        } else if matches!(r.entry.body, Body::Acknowledgement(_)) {
            Role::Acknowledgement
        } else {
            Role::Correction
        };
        let leaf = leaf_hash(&r.bytes);
        let proof = merkle::prove_inclusion(s, size, store)?;
        let tlog = TlogProof {
            extra: None,
            index: s,
            proof,
            checkpoint: note.clone(),
        };
        files.insert(entry_path(s, "bin"), r.bytes.clone());
        files.insert(
            entry_path(s, "sig"),
            format!("{}\n", BASE64.encode(r.signature)).into_bytes(),
        );
        files.insert(entry_path(s, "tlog-proof"), tlog.to_string().into_bytes());
        manifest_entries.push(ManifestEntry {
            seq: s,
            kind: r.entry.body.kind(),
            role,
            leaf_hash: hex::encode(leaf),
        });
    }
    files.insert(CHECKPOINT_FILE.to_owned(), note.to_string().into_bytes());

    // Openings.
    let openings = build_openings(store, &target, open)?;
    files.insert(
        OPENINGS_FILE.to_owned(),
        json_bytes(&openings).map_err(|e| damaged(e.to_string()))?,
    );

    let mut manifest = Manifest {
        format: BUNDLE_FORMAT.to_owned(),
        version: BUNDLE_VERSION,
        origin: origin.clone(),
        target: seq,
        tree_size: size,
        created_at: Timestamp::now(),
        created_by: format!("dledger {}", env!("CARGO_PKG_VERSION")),
        entries: manifest_entries,
        files: Vec::new(),
    };

    // The genesis trust roots are the keys the bundle is checked against here.
    let trusted: Vec<PublicKey> = records
        .get(&0)
        .and_then(|r| match &r.entry.body {
            Body::Genesis(g) => Some(
                g.parties
                    .iter()
                    .filter_map(|p| PublicKey::from_record(&p.trust_root).ok())
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();

    // The summary is derived by the same code the verifier runs, so the two always agree.
    let content = analyze(&manifest, &files, &trusted);
    let summary = content.summary.clone();
    files.insert(SUMMARY_FILE.to_owned(), summary.into_bytes());
    files.insert(
        README_FILE.to_owned(),
        readme(&manifest, &content).into_bytes(),
    );
    manifest.files = files
        .iter()
        .map(|(path, bytes)| ManifestFile {
            path: path.clone(),
            bytes: bytes.len() as u64,
            sha256: hex::encode(sha256(bytes)),
        })
        .collect();
    files.insert(
        MANIFEST_FILE.to_owned(),
        json_bytes(&manifest).map_err(|e| damaged(e.to_string()))?,
    );

    let report = verify_files(&files, &trusted, Vec::new());
    if !report.ok {
        return Err(EvidenceError::SelfCheck {
            seq,
            failures: report
                .failures()
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect(),
        });
    }
    Ok(Bundle {
        files,
        manifest,
        report,
    })
}

fn json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn build_openings(
    store: &Store,
    target: &Entry,
    open: &[FieldName],
) -> Result<Openings, EvidenceError> {
    let seq = target.seq.0;
    let Some(disclosure) = entry_fields(target) else {
        if open.is_empty() {
            return Ok(Openings {
                entry: seq,
                fields: Vec::new(),
            });
        }
        return Err(EvidenceError::NoFields {
            seq,
            kind: target.body.kind(),
        });
    };
    let names: Vec<String> = disclosure
        .fields
        .iter()
        .map(|f| f.name.as_str().to_owned())
        .collect();
    for f in open {
        if !names.iter().any(|n| n == f.as_str()) {
            return Err(EvidenceError::UnknownField {
                seq,
                field: f.as_str().to_owned(),
                available: names.clone(),
            });
        }
    }
    let values: BTreeMap<String, Vec<u8>> = store.vault_items(seq)?.into_iter().collect();
    let erased: BTreeMap<String, i64> = store.vault_erased(seq)?.into_iter().collect();
    let mut fields = Vec::new();
    for f in &disclosure.fields {
        let name = f.name.as_str();
        let requested = open.iter().any(|o| o.as_str() == name);
        let commitment = hex::encode(f.commitment);
        if requested && let Some(item) = values.get(name) {
            let (salt, value) = item.split_at_checked(32).ok_or_else(|| {
                damaged(format!(
                    "the vault item of field {name} of entry #{seq} is shorter than its salt"
                ))
            })?;
            let salt: [u8; 32] = salt.try_into().map_err(|_| damaged("salt length"))?;
            if field_commitment(&salt, name, value) != f.commitment {
                return Err(damaged(format!(
                    "the vault value of field {name} of entry #{seq} does not match the commitment \
                     recorded in the entry"
                )));
            }
            let value = String::from_utf8(value.to_vec()).map_err(|_| {
                damaged(format!(
                    "the vault value of field {name} of entry #{seq} is not UTF-8 text"
                ))
            })?;
            fields.push(Opening::Opened {
                name: name.to_owned(),
                commitment,
                value,
                salt: hex::encode(salt),
            });
        } else if let Some(&at) = erased.get(name) {
            fields.push(Opening::Erased {
                name: name.to_owned(),
                commitment,
                erased_at: Timestamp(at),
            });
        } else if requested {
            return Err(EvidenceError::NoValue {
                seq,
                field: name.to_owned(),
            });
        }
    }
    Ok(Openings { entry: seq, fields })
}

// ---------------------------------------------------------------------------
// Reading a bundle directory
// ---------------------------------------------------------------------------

/// The size limit of a bundle file, by path; `None` for a path that is not a bundle file.
fn limit_for(path: &str) -> Option<u64> {
    match path {
        MANIFEST_FILE => Some(MAX_MANIFEST_BYTES),
        README_FILE | SUMMARY_FILE => Some(MAX_TEXT_BYTES),
        CHECKPOINT_FILE => Some(MAX_NOTE_BYTES),
        OPENINGS_FILE => Some(MAX_OPENINGS_BYTES),
        _ => {
            let (seq, ext) = path
                .strip_prefix(ENTRIES_DIR)?
                .strip_prefix('/')?
                .split_once('.')?;
            parse_seq(seq)?;
            match ext {
                "bin" => Some(MAX_ENTRY_BYTES as u64),
                "sig" => Some(MAX_SIG_BYTES),
                "tlog-proof" => Some(MAX_PROOF_BYTES),
                _ => None,
            }
        }
    }
}

/// A decimal sequence number without leading zeros.
fn parse_seq(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let meta = fs::symlink_metadata(path).map_err(|e| format!("cannot be read ({e})"))?;
    if !meta.file_type().is_file() {
        return Err("is not a regular file (symbolic links and devices are refused)".into());
    }
    if meta.len() > limit {
        return Err(format!(
            "is {} bytes, more than the {limit} a bundle file of this kind may have",
            meta.len()
        ));
    }
    let file = fs::File::open(path).map_err(|e| format!("cannot be read ({e})"))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read ({e})"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "is more than the {limit} bytes a bundle file of this kind may have"
        ));
    }
    Ok(bytes)
}

/// Reads the files of a bundle directory, refusing (as failed `files` checks) anything that is
/// not a bundle file or exceeds its limit.
fn read_bundle_dir(dir: &Path) -> Result<(Files, Vec<Check>), EvidenceError> {
    let meta = fs::metadata(dir).map_err(|e| EvidenceError::NotABundle {
        path: dir.to_owned(),
        reason: format!("it cannot be opened ({e})"),
    })?;
    if !meta.is_dir() {
        return Err(EvidenceError::NotABundle {
            path: dir.to_owned(),
            reason: "it is not a directory; pass the directory `dledger evidence` wrote".into(),
        });
    }
    let mut checks = Vec::new();
    let mut fail = |detail: String| {
        checks.push(Check {
            name: CheckName::Files,
            ok: false,
            detail,
        })
    };
    let list = |d: &Path| -> Result<Vec<(String, fs::FileType)>, EvidenceError> {
        let io = |source| EvidenceError::Io {
            action: "read",
            path: d.to_owned(),
            source,
        };
        let mut out = Vec::new();
        for item in fs::read_dir(d).map_err(io)? {
            let item = item.map_err(io)?;
            let name = item.file_name().to_string_lossy().into_owned();
            out.push((name, item.file_type().map_err(io)?));
            if out.len() > 4 * MAX_BUNDLE_ENTRIES + 16 {
                break;
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    };
    let mut paths = Vec::new();
    for (name, kind) in list(dir)? {
        if name == ENTRIES_DIR && kind.is_dir() {
            for (inner, _) in list(&dir.join(ENTRIES_DIR))? {
                paths.push(format!("{ENTRIES_DIR}/{inner}"));
            }
        } else {
            paths.push(name);
        }
    }
    if paths.len() > 3 * MAX_BUNDLE_ENTRIES + 8 {
        fail(format!(
            "the directory holds more than {} files, more than any bundle has",
            3 * MAX_BUNDLE_ENTRIES + 8
        ));
        return Ok((BTreeMap::new(), checks));
    }
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    for path in paths {
        let Some(limit) = limit_for(&path) else {
            fail(format!(
                "{path} is not a file an evidence bundle holds; remove it (bundles are checked \
                 exactly as written)"
            ));
            continue;
        };
        match read_limited(&dir.join(&path), limit) {
            Ok(bytes) => {
                total += bytes.len() as u64;
                if total > MAX_BUNDLE_BYTES {
                    fail(format!(
                        "the bundle holds more than {MAX_BUNDLE_BYTES} bytes; reading stopped"
                    ));
                    break;
                }
                files.insert(path, bytes);
            }
            Err(reason) => fail(format!("{path} {reason}")),
        }
    }
    Ok((files, checks))
}

// ---------------------------------------------------------------------------
// Verifying
// ---------------------------------------------------------------------------

/// Verifies the bundle in directory `dir` offline, against `trusted` keys (the parties' trust
/// roots). Returns a report listing every check; `Err` only when `dir` cannot be read at all.
pub fn verify_bundle(dir: &Path, trusted: &[PublicKey]) -> Result<EvidenceReport, EvidenceError> {
    let (files, checks) = read_bundle_dir(dir)?;
    Ok(verify_files(&files, trusted, checks))
}

fn failed_report(checks: Vec<Check>) -> EvidenceReport {
    EvidenceReport {
        ok: false,
        origin: None,
        target: None,
        tree_size: None,
        proof_hashes: None,
        checkpoint_signer: None,
        cosigners: Vec::new(),
        fields: Vec::new(),
        checks,
        summary: String::new(),
    }
}

/// Verifies a bundle given as files by relative path.
fn verify_files(
    files: &BTreeMap<String, Vec<u8>>,
    trusted: &[PublicKey],
    mut checks: Vec<Check>,
) -> EvidenceReport {
    let fail = |detail: String| Check {
        name: CheckName::Manifest,
        ok: false,
        detail,
    };
    let Some(bytes) = files.get(MANIFEST_FILE) else {
        checks.push(fail(format!(
            "{MANIFEST_FILE} is missing or unreadable; without it the bundle cannot be checked"
        )));
        return failed_report(checks);
    };
    // Format and version first, so that a newer bundle is told apart from a damaged one.
    #[derive(Deserialize)]
    struct Version {
        format: Option<String>,
        version: Option<u32>,
    }
    if let Ok(v) = serde_json::from_slice::<Version>(bytes)
        && (v.format.as_deref() != Some(BUNDLE_FORMAT) || v.version != Some(BUNDLE_VERSION))
    {
        checks.push(fail(format!(
            "{MANIFEST_FILE} is format {:?} version {}, but this build reads {BUNDLE_FORMAT:?} \
             version {BUNDLE_VERSION}; if it is a newer bundle, upgrade dledger",
            v.format.unwrap_or_default(),
            v.version.map_or("(none)".to_owned(), |n| n.to_string())
        )));
        return failed_report(checks);
    }
    let manifest: Manifest = match serde_json::from_slice(bytes) {
        Ok(m) => m,
        Err(e) => {
            checks.push(fail(format!(
                "{MANIFEST_FILE} is not a valid manifest ({e}); the bundle cannot be checked"
            )));
            return failed_report(checks);
        }
    };
    checks.extend(check_manifest_files(&manifest, files));
    let mut report = analyze(&manifest, files, trusted);
    checks.append(&mut report.checks);
    report.checks = checks;
    match files.get(SUMMARY_FILE) {
        Some(s) if s.as_slice() == report.summary.as_bytes() => report.checks.push(Check {
            name: CheckName::Summary,
            ok: true,
            detail: format!("{SUMMARY_FILE} says exactly what the verified entries say"),
        }),
        Some(_) => report.checks.push(Check {
            name: CheckName::Summary,
            ok: false,
            detail: format!(
                "{SUMMARY_FILE} differs from the summary derived from the entries; do not rely on \
                 it (the summary printed here is derived from the entries)"
            ),
        }),
        None => report.checks.push(Check {
            name: CheckName::Summary,
            ok: false,
            detail: format!("{SUMMARY_FILE} is missing"),
        }),
    }
    report.ok = report.checks.iter().all(|c| c.ok);
    report
}

/// The manifest's file list against the files present.
fn check_manifest_files(manifest: &Manifest, files: &BTreeMap<String, Vec<u8>>) -> Vec<Check> {
    let mut out = Vec::new();
    let mut fail = |detail: String| {
        out.push(Check {
            name: CheckName::Manifest,
            ok: false,
            detail,
        })
    };
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        if !listed.insert(f.path.as_str()) {
            fail(format!("{} is listed twice", f.path));
            continue;
        }
        if f.path == MANIFEST_FILE || limit_for(&f.path).is_none() {
            fail(format!("it lists {:?}, which is not a bundle file", f.path));
            continue;
        }
        match files.get(&f.path) {
            None => fail(format!("{} is listed but missing from the bundle", f.path)),
            Some(bytes) => {
                let digest = hex::encode(sha256(bytes));
                if digest != f.sha256.to_ascii_lowercase() || bytes.len() as u64 != f.bytes {
                    fail(format!(
                        "{} has SHA-256 {digest} ({} bytes) but the manifest lists {} ({} bytes): \
                         the file was changed or damaged",
                        f.path,
                        bytes.len(),
                        f.sha256,
                        f.bytes
                    ));
                }
            }
        }
    }
    for path in files.keys() {
        if path != MANIFEST_FILE && !listed.contains(path.as_str()) {
            fail(format!(
                "{path} is in the bundle but not listed in the manifest"
            ));
        }
    }
    for e in &manifest.entries {
        for ext in ["bin", "sig", "tlog-proof"] {
            let p = entry_path(e.seq, ext);
            if !listed.contains(p.as_str()) {
                fail(format!(
                    "entry #{} is listed but its file {p} is not in the file list",
                    e.seq
                ));
            }
        }
    }
    if out.is_empty() {
        out.push(Check {
            name: CheckName::Manifest,
            ok: true,
            detail: format!(
                "{} files listed, each present with the SHA-256 the manifest gives; no other files",
                manifest.files.len()
            ),
        });
    }
    out
}

/// An entry of the bundle as read.
struct Item<'a> {
    seq: u64,
    claimed: &'a ManifestEntry,
    bytes: &'a [u8],
    entry: Option<Entry>,
    leaf: Digest,
}

/// Reads `entries/<seq>.sig` defensively.
fn signature_of(files: &Files, seq: u64) -> Result<[u8; 64], String> {
    let path = entry_path(seq, "sig");
    let bytes = files.get(&path).ok_or(format!("{path} is missing"))?;
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{path} is not text"))?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    BASE64
        .decode(text)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or(format!(
            "{path} is not a base64 Ed25519 signature (64 bytes)"
        ))
}

/// `name (keyid)` for a party's key, or just the id if the key is unknown.
fn key_label(reg: &Registers, party: &PartyId, id: crate::model::KeyId) -> String {
    reg.public_key(party, id)
        .map(|k| format!("{} ({id})", k.name))
        .unwrap_or_else(|| format!("{id}"))
}

/// Verifies one entry's signature under the key its party holds at its position (the genesis
/// entry: its signer's trust root), and that the party is trusted.
fn check_signature(
    checks: &mut Checks,
    reg: &Registers,
    trusted_parties: &BTreeSet<PartyId>,
    files: &Files,
    item: &Item,
    e: &Entry,
) -> bool {
    let seq = item.seq;
    let party = &e.signer.party;
    let id = e.signer.key_id;
    let sig = match signature_of(files, seq) {
        Ok(s) => s,
        Err(why) => {
            checks.fail(CheckName::EntrySignature, format!("#{seq}: {why}"));
            return false;
        }
    };
    let key = if seq == 0 {
        match &e.body {
            Body::Genesis(g) => g
                .parties
                .iter()
                .find(|p| &p.id == party && p.trust_root.key_id == id)
                .and_then(|p| PublicKey::from_record(&p.trust_root).ok()),
            _ => None,
        }
    } else {
        match reg.key_status(party, id, Seq(seq)) {
            KeyStatus::Valid => reg.public_key(party, id).cloned(),
            KeyStatus::Ended(at) => {
                checks.fail(
                    CheckName::EntrySignature,
                    format!(
                        "#{seq}: signed with {party}'s key {id}, which was rotated or revoked at \
                             {at}, before this entry"
                    ),
                );
                return false;
            }
            KeyStatus::UnknownParty | KeyStatus::UnknownKey => None,
        }
    };
    let Some(key) = key else {
        checks.fail(
            CheckName::EntrySignature,
            format!(
                "#{seq}: signed with key {id}, which is not a key {party} held at this point \
                     according to the genesis entry and key history in the bundle"
            ),
        );
        return false;
    };
    if !trusted_parties.contains(party) {
        checks.fail(
            CheckName::EntrySignature,
            format!("#{seq}: signed by {party}, whose trust root is not among the trusted keys"),
        );
        return false;
    }
    if verify_entry_signature(&key.key, item.bytes, &sig) {
        checks.pass(
            CheckName::EntrySignature,
            format!(
                "#{seq}: signed by {party} with key {} ({id}), which {party} held at this point",
                key.name
            ),
        );
        true
    } else {
        checks.fail(
            CheckName::EntrySignature,
            format!(
                "#{seq}: the signature in {} does not verify under {party}'s key {} ({id}): the \
                     entry or its signature was changed",
                entry_path(seq, "sig"),
                key.name
            ),
        );
        false
    }
}

/// Pass/fail results, in the order found.
struct Checks(Vec<Check>);

impl Checks {
    fn pass(&mut self, name: CheckName, detail: String) {
        self.0.push(Check {
            name,
            ok: true,
            detail,
        });
    }

    fn fail(&mut self, name: CheckName, detail: String) {
        self.0.push(Check {
            name,
            ok: false,
            detail,
        });
    }

    fn any_failed(&self, name: CheckName) -> bool {
        self.0.iter().any(|c| c.name == name && !c.ok)
    }
}

/// The entries that refer to the target, found by [`Analysis::check_references`].
#[derive(Default)]
struct Related {
    acks: Vec<u64>,
    corrections: Vec<u64>,
    superseded: Option<u64>,
}

/// One verification of a bundle's content: what has been established so far, and the checks.
struct Analysis<'a> {
    manifest: &'a Manifest,
    files: &'a Files,
    trusted: &'a [PublicKey],
    checks: Checks,
    /// The entries, by sequence number.
    items: Vec<Item<'a>>,
    /// Registers replayed from the genesis entry and the valid key changes.
    reg: Registers,
    /// Whether a genesis entry was read.
    has_genesis: bool,
    /// Parties whose trust root is a trusted key.
    trusted_parties: BTreeSet<PartyId>,
    /// Party names from the genesis entry.
    party_names: BTreeMap<PartyId, String>,
    /// The parsed checkpoint.
    checkpoint: Option<(Checkpoint, Note)>,
    report: EvidenceReport,
}

/// Checks the content of a bundle (everything but the manifest's file list and summary.txt)
/// and derives the summary. Used both to build a bundle and to verify one.
fn analyze(manifest: &Manifest, files: &Files, trusted: &[PublicKey]) -> EvidenceReport {
    let mut a = Analysis {
        manifest,
        files,
        trusted,
        checks: Checks(Vec::new()),
        items: Vec::new(),
        reg: Registers::default(),
        has_genesis: false,
        trusted_parties: BTreeSet::new(),
        party_names: BTreeMap::new(),
        checkpoint: None,
        report: failed_report(Vec::new()),
    };
    a.report.origin = Some(manifest.origin.clone());
    a.report.target = Some(manifest.target);
    if a.decode_entries() {
        a.check_genesis();
        a.replay_key_history();
        a.check_other_signatures();
        a.read_checkpoint();
        a.check_inclusion_proofs();
        let cp = a.check_checkpoint_signatures();
        let related = a.check_references();
        a.check_openings();
        a.summarize(cp.as_ref(), &related);
    }
    a.report.checks = a.checks.0;
    a.report.ok = a.report.checks.iter().all(|c| c.ok);
    a.report
}

impl<'a> Analysis<'a> {
    fn entry_of(&self, seq: u64) -> Option<&Entry> {
        self.items
            .iter()
            .find(|i| i.seq == seq)
            .and_then(|i| i.entry.as_ref())
    }

    /// Decodes every entry and computes its leaf hash. False if the bundle is too large to go on.
    fn decode_entries(&mut self) -> bool {
        let mut seen = BTreeSet::new();
        if self.manifest.entries.len() > MAX_BUNDLE_ENTRIES {
            self.checks.fail(
                CheckName::Manifest,
                format!(
                    "the manifest lists {} entries, more than the {MAX_BUNDLE_ENTRIES} a bundle \
                     may hold",
                    self.manifest.entries.len()
                ),
            );
            return false;
        }
        for claimed in &self.manifest.entries {
            let seq = claimed.seq;
            if !seen.insert(seq) {
                self.checks
                    .fail(CheckName::Manifest, format!("entry #{seq} is listed twice"));
                continue;
            }
            let path = entry_path(seq, "bin");
            let Some(bytes) = self.files.get(&path) else {
                self.checks
                    .fail(CheckName::EntryDecode, format!("#{seq}: {path} is missing"));
                continue;
            };
            let leaf = leaf_hash(bytes);
            let entry = match codec::decode_entry(bytes) {
                Err(e) => {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        format!("#{seq}: {path} is not a valid entry: {e}"),
                    );
                    None
                }
                Ok(e) if e.seq.0 != seq => {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        format!(
                            "#{seq}: {path} holds entry {} ({}), not entry #{seq}: files were \
                         swapped or renamed",
                            e.seq,
                            a_kind(e.body.kind())
                        ),
                    );
                    None
                }
                Ok(e) if codec::encode_entry(&e).ok().as_deref() != Some(bytes.as_slice()) => {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        format!(
                            "#{seq}: {path} does not re-encode to the same bytes \
                            (non-canonical)"
                        ),
                    );
                    None
                }
                Ok(e) if e.body.kind() != claimed.kind => {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        format!(
                            "#{seq}: {path} is {} but the manifest says {}",
                            a_kind(e.body.kind()),
                            claimed.kind
                        ),
                    );
                    None
                }
                Ok(e) => {
                    self.checks.pass(
                        CheckName::EntryDecode,
                        format!(
                            "#{seq}: {} bytes decode to {} recorded {}",
                            bytes.len(),
                            a_kind(e.body.kind()),
                            e.recorded_at
                        ),
                    );
                    Some(e)
                }
            };
            if hex::encode(leaf) == claimed.leaf_hash.to_ascii_lowercase() {
                self.checks.pass(
                    CheckName::LeafHash,
                    format!(
                        "#{seq}: SHA-256(00 ‖ entry bytes) = {}, as the manifest states",
                        hex::encode(leaf)
                    ),
                );
            } else {
                self.checks.fail(
                    CheckName::LeafHash,
                    format!(
                        "#{seq}: SHA-256(00 ‖ entry bytes) = {} but the manifest states {}",
                        hex::encode(leaf),
                        claimed.leaf_hash
                    ),
                );
            }
            self.items.push(Item {
                seq,
                claimed,
                bytes,
                entry,
                leaf,
            });
        }
        self.items.sort_by_key(|i| i.seq);
        true
    }

    /// The genesis entry: trust roots, origin, rules.
    fn check_genesis(&mut self) {
        let genesis = self.entry_of(0).cloned();
        let genesis = genesis.as_ref().and_then(|e| match &e.body {
            Body::Genesis(g) => Some((e, g)),
            _ => None,
        });
        match genesis {
            None => self.checks.fail(
                CheckName::TrustRoots,
                "the bundle has no readable genesis entry (entries/0.bin), which names the \
             regulators and their trust roots"
                    .into(),
            ),
            Some((e, g)) => {
                self.has_genesis = true;
                let mut described = Vec::new();
                for p in &g.parties {
                    self.party_names.insert(p.id.clone(), p.name.clone());
                    let t = is_trusted(&p.trust_root, self.trusted);
                    if t {
                        self.trusted_parties.insert(p.id.clone());
                    }
                    described.push(format!(
                        "{} ({} {}: {})",
                        p.id,
                        p.trust_root.name,
                        p.trust_root.key_id,
                        if t {
                            "trusted"
                        } else {
                            "not in the trust directory"
                        }
                    ));
                }
                if g.origin != self.manifest.origin {
                    self.checks.fail(
                        CheckName::TrustRoots,
                        format!(
                            "the genesis entry is for ledger {:?} but the manifest says {:?}",
                            g.origin, self.manifest.origin
                        ),
                    );
                }
                if self.trusted_parties.contains(&e.signer.party) {
                    self.checks.pass(
                        CheckName::TrustRoots,
                        format!(
                            "genesis of {} names trust roots {}",
                            g.origin,
                            described.join(", ")
                        ),
                    );
                } else {
                    self.checks.fail(
                        CheckName::TrustRoots,
                        format!(
                            "untrusted genesis: it is signed by {} and names trust roots {}, but \
                             {}'s trust root is not among the trusted keys. Either the bundle is \
                             not from the ledger you trust, or --trust points at the wrong keys \
                             (use the regulators' published *.vkey files)",
                            e.signer.party,
                            described.join(", "),
                            e.signer.party
                        ),
                    );
                }
                let breaches = rules::check_entry(&self.reg, e);
                for (kind, text) in &breaches {
                    self.checks.fail(
                        CheckName::KeyHistory,
                        format!(
                            "#0 (genesis) breaks a ledger rule ({}): {text}",
                            kind.code()
                        ),
                    );
                }
                if e.prev != crate::model::EntryHash::ZERO {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        "#0: the genesis entry's previous hash is not all zeros".into(),
                    );
                }
                self.reg.apply(e, leaf_hash(&[]));
            }
        }
    }

    /// Replays the key changes in order: each is applied only if valid and validly signed.
    fn replay_key_history(&mut self) {
        if let Some(item) = self.items.iter().find(|i| i.seq == 0)
            && let Some(e) = &item.entry
        {
            check_signature(
                &mut self.checks,
                &self.reg,
                &self.trusted_parties,
                self.files,
                item,
                e,
            );
        }
        if self.has_genesis {
            for item in &self.items {
                let Some(e) = &item.entry else { continue };
                if !is_key_history(e.body.kind()) {
                    continue;
                }
                let breaches = rules::check_entry(&self.reg, e);
                let signed = check_signature(
                    &mut self.checks,
                    &self.reg,
                    &self.trusted_parties,
                    self.files,
                    item,
                    e,
                );
                if breaches.is_empty() && signed {
                    self.checks.pass(
                        CheckName::KeyHistory,
                        format!(
                            "#{}: {}",
                            item.seq,
                            crate::describe::one_line(e)
                                .split_whitespace()
                                .skip(4)
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    );
                    self.reg.apply(e, item.leaf);
                } else {
                    for (kind, text) in breaches {
                        self.checks.fail(
                            CheckName::KeyHistory,
                            format!(
                                "#{}: breaks a ledger rule ({}): {text}",
                                item.seq,
                                kind.code()
                            ),
                        );
                    }
                    if !signed {
                        self.checks.fail(
                            CheckName::KeyHistory,
                            format!(
                                "#{}: not applied, because its signature did not verify",
                                item.seq
                            ),
                        );
                    }
                }
            }
        }
    }

    /// The signatures of the entries that are neither genesis nor key changes.
    fn check_other_signatures(&mut self) {
        for item in &self.items {
            let Some(e) = &item.entry else { continue };
            if item.seq == 0 || is_key_history(e.body.kind()) || !self.has_genesis {
                continue;
            }
            check_signature(
                &mut self.checks,
                &self.reg,
                &self.trusted_parties,
                self.files,
                item,
                e,
            );
        }
    }

    /// Parses checkpoint.note.
    fn read_checkpoint(&mut self) {
        let cp_note = self.files.get(CHECKPOINT_FILE).map(|b| Note::parse(b));
        match cp_note {
            None => self.checks.fail(
                CheckName::CheckpointSignature,
                format!("{CHECKPOINT_FILE} is missing"),
            ),
            Some(Err(e)) => self.checks.fail(
                CheckName::CheckpointSignature,
                format!("{CHECKPOINT_FILE} is not a signed note: {e}"),
            ),
            Some(Ok(note)) => match Checkpoint::from_note(&note) {
                Err(e) => self.checks.fail(
                    CheckName::CheckpointSignature,
                    format!("{CHECKPOINT_FILE} is not a valid checkpoint: {e}"),
                ),
                Ok(cp) => self.checkpoint = Some((cp, note)),
            },
        }
        if let Some((cp, _)) = &self.checkpoint {
            self.report.tree_size = Some(cp.size);
            if cp.origin != self.manifest.origin || cp.size != self.manifest.tree_size {
                self.checks.fail(
                    CheckName::CheckpointSignature,
                    format!(
                        "the checkpoint is for {:?} at size {}, but the manifest says {:?} at size \
                         {}",
                        cp.origin, cp.size, self.manifest.origin, self.manifest.tree_size
                    ),
                );
            }
        }
    }

    /// Every entry's inclusion proof against the checkpoint.
    fn check_inclusion_proofs(&mut self) {
        for item in &self.items {
            let seq = item.seq;
            let path = entry_path(seq, "tlog-proof");
            let Some(bytes) = self.files.get(&path) else {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!("#{seq}: {path} is missing"),
                );
                continue;
            };
            let proof = match TlogProof::parse(bytes) {
                Ok(p) => p,
                Err(e) => {
                    self.checks.fail(
                        CheckName::InclusionProof,
                        format!("#{seq}: {path} is not a valid c2sp.org/tlog-proof@v1: {e}"),
                    );
                    continue;
                }
            };
            if seq == self.manifest.target {
                self.report.proof_hashes = Some(proof.proof.len());
            }
            let Some((cp, note)) = &self.checkpoint else {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!("#{seq}: no valid checkpoint to check the proof against"),
                );
                continue;
            };
            if proof.index != seq {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!(
                        "#{seq}: {path} is a proof for entry #{}, not #{seq}",
                        proof.index
                    ),
                );
                continue;
            }
            if &proof.checkpoint != note {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!("#{seq}: the checkpoint inside {path} differs from {CHECKPOINT_FILE}"),
                );
                continue;
            }
            match merkle::verify_inclusion(&proof.proof, seq, cp.size, &item.leaf, &cp.root) {
            Ok(()) => self.checks.pass(
                CheckName::InclusionProof,
                format!(
                    "#{seq}: {} hashes lead from the entry's leaf hash to the checkpoint's root \
                     (entry #{seq} of {})",
                    proof.proof.len(),
                    cp.size
                ),
            ),
            Err(e) => self.checks.fail(
                CheckName::InclusionProof,
                format!("#{seq}: {path} does not prove inclusion: {e}"),
            ),
        }
        }
    }

    /// The checkpoint's signature and cosignatures, under the keys valid at its size.
    fn check_checkpoint_signatures(&mut self) -> Option<CheckpointFacts> {
        let mut cp_facts: Option<CheckpointFacts> = None;
        if let Some((cp, note)) = &self.checkpoint
            && self.has_genesis
        {
            let keys = party_keys(&self.reg, Seq(cp.size));
            let mut operator: Option<(PartyId, String)> = None;
            let mut cosigs: Vec<Cosigner> = Vec::new();
            let mut any_bad = false;
            for sig in note.signatures() {
                let found = keys.iter().find_map(|(p, op, co)| {
                    if op.name == sig.name() && op.key_id == sig.key_id() {
                        Some((p, op))
                    } else if co.name == sig.name() && co.key_id == sig.key_id() {
                        Some((p, co))
                    } else {
                        None
                    }
                });
                let Some((party, key)) = found else {
                    continue;
                };
                let what = match key.kind {
                    KeyKind::Ed25519 => CheckName::CheckpointSignature,
                    KeyKind::CosignatureV1 => CheckName::Cosignature,
                };
                match note.verify(std::slice::from_ref(key)) {
                    Err(e) => {
                        any_bad = true;
                        self.checks.fail(
                            what,
                            format!("the signature line of {} ({party}): {e}", key.name),
                        );
                    }
                    Ok(v) => match key.kind {
                        KeyKind::Ed25519 => {
                            if operator.is_none() {
                                operator = Some((party.clone(), key.name.clone()));
                            }
                        }
                        KeyKind::CosignatureV1 => {
                            let at = v
                                .first()
                                .and_then(|s| s.timestamp)
                                .and_then(|t| i64::try_from(t).ok())
                                .unwrap_or(0);
                            cosigs.push(Cosigner {
                                party: party.clone(),
                                key: key.name.clone(),
                                at: Timestamp(at),
                            });
                        }
                    },
                }
            }
            match &operator {
            None if !any_bad => self.checks.fail(
                CheckName::CheckpointSignature,
                format!(
                    "{CHECKPOINT_FILE} carries no signature by a key any party held at tree size \
                     {} (signers: {}); either the checkpoint is not this ledger's or a key-history \
                     entry that introduced the signer's key is missing from the bundle",
                    cp.size,
                    note.signatures()
                        .iter()
                        .map(|s| format!("{}+{}", s.name(), hex::encode(s.key_id())))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            None => {}
            Some((party, key)) if !self.trusted_parties.contains(party) => self.checks.fail(
                CheckName::CheckpointSignature,
                format!(
                    "signed by {party} (key {key}), whose trust root is not among the trusted keys"
                ),
            ),
            Some((party, key)) if !any_bad => {
                self.checks.pass(
                    CheckName::CheckpointSignature,
                    format!(
                        "the checkpoint of {} entries (root {}) is signed by {party} with key \
                         {key}, valid for {party} at that size",
                        cp.size,
                        hex::encode(cp.root)
                    ),
                );
                self.report.checkpoint_signer = Some(party.clone());
            }
            Some(_) => {}
        }
            let independent: Vec<Cosigner> = cosigs
                .iter()
                .filter(|c| operator.as_ref().is_some_and(|(p, _)| p != &c.party))
                .filter(|c| self.trusted_parties.contains(&c.party))
                .cloned()
                .collect();
            if let Some((op, _)) = &operator {
                if independent.is_empty() && !any_bad {
                    self.checks.fail(
                        CheckName::Cosignature,
                        format!(
                            "the checkpoint carries no valid cosignature by a trusted party other \
                             than its signer {op}; a checkpoint only one regulator signed does not \
                             show the other agreed to the ledger's history"
                        ),
                    );
                }
                for c in &independent {
                    self.checks.pass(
                        CheckName::Cosignature,
                        format!(
                            "cosigned by {} with key {} at {}: the other regulator confirmed this \
                             tree head",
                            c.party, c.key, c.at
                        ),
                    );
                }
            }
            self.report.cosigners = independent.clone();
            if let Some((party, key)) = operator {
                let cosigners = cosigs.into_iter().filter(|c| c.party != party).collect();
                cp_facts = Some(CheckpointFacts {
                    size: cp.size,
                    root: cp.root,
                    signer: party,
                    signer_key: key,
                    cosigners,
                });
            }
        }
        cp_facts
    }

    /// Every entry must be in the bundle for its stated reason.
    fn check_references(&mut self) -> Related {
        let target = self.entry_of(self.manifest.target).cloned();
        if target.is_none() {
            self.checks.fail(
                CheckName::References,
                format!(
                    "the target entry #{} is not in the bundle (or cannot be read)",
                    self.manifest.target
                ),
            );
        }
        let mut related = Related::default();
        if let Some(t) = &target {
            if let Body::Disclosure(d) = &t.body
                && d.from != t.signer.party
            {
                self.checks.fail(
                    CheckName::References,
                    format!(
                        "#{}: a disclosure from {} signed by {}",
                        t.seq.0, d.from, t.signer.party
                    ),
                );
            }
            for item in &self.items {
                let Some(e) = &item.entry else { continue };
                let seq = item.seq;
                let role = derive_role(self.manifest.target, t, e);
                let problem = match (&e.body, role) {
                    (_, None) => Some(format!(
                        "#{seq} ({}) has no place in a bundle for #{}: it neither is the genesis \
                     entry, a key change, nor refers to the target",
                        crate::describe::one_line(e)
                            .split_whitespace()
                            .skip(2)
                            .collect::<Vec<_>>()
                            .join(" "),
                        self.manifest.target
                    )),
                    (Body::Acknowledgement(_), Some(Role::Acknowledgement)) => match &t.body {
                        Body::Disclosure(d) if d.to != e.signer.party => Some(format!(
                            "#{seq} acknowledges #{} but is signed by {}, not the recipient {}",
                            self.manifest.target, e.signer.party, d.to
                        )),
                        Body::Disclosure(_) if seq > self.manifest.target => None,
                        Body::Disclosure(_) => Some(format!(
                            "#{seq} acknowledges a later entry #{}",
                            self.manifest.target
                        )),
                        _ => Some(format!(
                            "#{seq} acknowledges #{}, which is not a disclosure",
                            self.manifest.target
                        )),
                    },
                    (Body::Correction(_), Some(Role::Correction)) => {
                        if e.signer.party != t.signer.party {
                            Some(format!(
                                "#{seq} corrects #{} but is signed by {}, who did not record it",
                                self.manifest.target, e.signer.party
                            ))
                        } else if seq <= self.manifest.target {
                            Some(format!("#{seq} corrects a later entry"))
                        } else {
                            None
                        }
                    }
                    (_, Some(Role::Superseded)) => {
                        if e.signer.party != t.signer.party {
                            Some(format!(
                                "#{} corrects #{seq}, which another party recorded",
                                self.manifest.target
                            ))
                        } else {
                            None
                        }
                    }
                    _ => None,
                };
                if let Some(p) = problem {
                    self.checks.fail(CheckName::References, p);
                    continue;
                }
                let Some(role) = role else { continue };
                if role != item.claimed.role {
                    self.checks.fail(
                        CheckName::References,
                        format!(
                            "#{seq} is in the bundle as {} but the manifest calls it {}",
                            role.as_str(),
                            item.claimed.role.as_str()
                        ),
                    );
                    continue;
                }
                match role {
                    Role::Acknowledgement => related.acks.push(seq),
                    Role::Correction => related.corrections.push(seq),
                    Role::Superseded => related.superseded = Some(seq),
                    _ => {}
                }
                if let Some((cp, _)) = &self.checkpoint
                    && seq >= cp.size
                {
                    self.checks.fail(
                        CheckName::References,
                        format!("#{seq} lies beyond the checkpoint's {} entries", cp.size),
                    );
                }
            }
            if let Body::Correction(c) = &t.body
                && related.superseded.is_none()
            {
                self.checks.fail(
                    CheckName::References,
                    format!(
                        "#{} corrects {}, which is not in the bundle",
                        self.manifest.target, c.supersedes
                    ),
                );
            }
            if !self.checks.any_failed(CheckName::References) {
                self.checks.pass(
                    CheckName::References,
                    format!(
                        "every entry is the target, the genesis entry, a key change, or refers to \
                         the target ({} acknowledgement{}, {} correction{})",
                        related.acks.len(),
                        if related.acks.len() == 1 { "" } else { "s" },
                        related.corrections.len(),
                        if related.corrections.len() == 1 {
                            ""
                        } else {
                            "s"
                        }
                    ),
                );
            }
        }
        related
    }

    /// The openings against the target's commitments.
    fn check_openings(&mut self) {
        let target = self.entry_of(self.manifest.target).cloned();
        let mut fields: Vec<FieldReport> = Vec::new();
        if let Some(t) = &target {
            let disclosure = entry_fields(t);
            for f in disclosure.map(|d| d.fields.as_slice()).unwrap_or_default() {
                fields.push(FieldReport {
                    name: f.name.as_str().to_owned(),
                    status: "not-opened",
                    value: None,
                    erased_at: None,
                });
            }
            match self
                .files
                .get(OPENINGS_FILE)
                .map(|b| serde_json::from_slice::<Openings>(b))
            {
                None => self.checks.fail(
                    CheckName::FieldOpening,
                    format!("{OPENINGS_FILE} is missing"),
                ),
                Some(Err(e)) => self.checks.fail(
                    CheckName::FieldOpening,
                    format!("{OPENINGS_FILE} is not valid: {e}"),
                ),
                Some(Ok(o)) if o.entry != self.manifest.target => self.checks.fail(
                    CheckName::FieldOpening,
                    format!(
                        "{OPENINGS_FILE} is for entry #{}, not the target #{}",
                        o.entry, self.manifest.target
                    ),
                ),
                Some(Ok(o)) => {
                    let mut done = BTreeSet::new();
                    for opening in &o.fields {
                        let name = opening.name();
                        let Some(commit) = disclosure
                            .and_then(|d| d.fields.iter().find(|f| f.name.as_str() == name))
                        else {
                            self.checks.fail(
                                CheckName::FieldOpening,
                                format!(
                                    "{name:?}: entry #{} records no such field",
                                    self.manifest.target
                                ),
                            );
                            continue;
                        };
                        if !done.insert(name.to_owned()) {
                            self.checks.fail(
                                CheckName::FieldOpening,
                                format!("{name}: listed twice in {OPENINGS_FILE}"),
                            );
                            continue;
                        }
                        let slot = fields.iter_mut().find(|f| f.name == name);
                        match opening {
                            Opening::Opened {
                                commitment,
                                value,
                                salt,
                                ..
                            } => {
                                let salt_bytes = hex::decode(salt)
                                    .ok()
                                    .and_then(|s| <[u8; 32]>::try_from(s).ok());
                                let Some(salt_bytes) = salt_bytes else {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!("{name}: the salt is not 32 bytes of hex"),
                                    );
                                    continue;
                                };
                                let computed =
                                    field_commitment(&salt_bytes, name, value.as_bytes());
                                if computed != commit.commitment {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: value {value:?} with its salt gives \
                                             commitment {} but the signed entry records {}: the \
                                             value or the salt is not the one committed \
                                             to",
                                            hex::encode(computed),
                                            hex::encode(commit.commitment)
                                        ),
                                    );
                                } else if commitment.to_ascii_lowercase()
                                    != hex::encode(commit.commitment)
                                {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: {OPENINGS_FILE} states commitment \
                                             {commitment} but the entry records {}",
                                            hex::encode(commit.commitment)
                                        ),
                                    );
                                } else {
                                    self.checks.pass(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name} = {value:?}: value and salt reproduce the \
                                         commitment in the signed entry"
                                        ),
                                    );
                                    if let Some(s) = slot {
                                        s.status = "opened";
                                        s.value = Some(value.clone());
                                    }
                                }
                            }
                            Opening::Erased {
                                commitment,
                                erased_at,
                                ..
                            } => {
                                if commitment.to_ascii_lowercase() != hex::encode(commit.commitment)
                                {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: {OPENINGS_FILE} states commitment \
                                             {commitment} but the entry records {}",
                                            hex::encode(commit.commitment)
                                        ),
                                    );
                                    continue;
                                }
                                self.checks.pass(
                                    CheckName::FieldOpening,
                                    format!(
                                        "{name}: erased on {}, cannot be opened (its commitment \
                                     stays in the signed entry)",
                                        erased_at.london_date()
                                    ),
                                );
                                if let Some(s) = slot {
                                    s.status = "erased";
                                    s.erased_at = Some(*erased_at);
                                }
                            }
                        }
                    }
                }
            }
        }
        self.report.fields = fields;
    }

    /// Derives the plain-language summary.
    fn summarize(&mut self, cp: Option<&CheckpointFacts>, related: &Related) {
        let Some(t) = self.entry_of(self.manifest.target) else {
            return;
        };
        let of = |seqs: &[u64]| -> Vec<&Entry> {
            seqs.iter().filter_map(|s| self.entry_of(*s)).collect()
        };
        let acks = of(&related.acks);
        let corrections = of(&related.corrections);
        let summary = summary_text(&Facts {
            origin: &self.manifest.origin,
            names: &self.party_names,
            target: t,
            target_hash: self
                .items
                .iter()
                .find(|i| i.seq == self.manifest.target)
                .map(|i| i.leaf)
                .unwrap_or_default(),
            target_key: key_label(&self.reg, &t.signer.party, t.signer.key_id),
            acks: &acks,
            corrections: &corrections,
            superseded: related.superseded.and_then(|s| self.entry_of(s)),
            fields: &self.report.fields,
            checkpoint: cp,
        });
        self.report.summary = summary;
    }
}

/// The role an entry plays relative to the target, derived from its content.
fn derive_role(target_seq: u64, target: &Entry, e: &Entry) -> Option<Role> {
    let seq = e.seq.0;
    if seq == target_seq {
        return Some(Role::Target);
    }
    if seq == 0 {
        return matches!(e.body, Body::Genesis(_)).then_some(Role::Genesis);
    }
    if is_key_history(e.body.kind()) {
        return Some(Role::KeyHistory);
    }
    if let Body::Correction(c) = &target.body
        && c.supersedes.0 == seq
    {
        return Some(Role::Superseded);
    }
    match &e.body {
        Body::Acknowledgement(a) if a.disclosure.0 == target_seq => Some(Role::Acknowledgement),
        Body::Correction(c) if c.supersedes.0 == target_seq => Some(Role::Correction),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Plain-language text
// ---------------------------------------------------------------------------

struct CheckpointFacts {
    size: u64,
    root: Digest,
    signer: PartyId,
    signer_key: String,
    cosigners: Vec<Cosigner>,
}

struct Facts<'a> {
    origin: &'a str,
    names: &'a BTreeMap<PartyId, String>,
    target: &'a Entry,
    target_hash: Digest,
    target_key: String,
    acks: &'a [&'a Entry],
    corrections: &'a [&'a Entry],
    superseded: Option<&'a Entry>,
    fields: &'a [FieldReport],
    checkpoint: Option<&'a CheckpointFacts>,
}

fn party(names: &BTreeMap<PartyId, String>, id: &PartyId) -> String {
    match names.get(id) {
        Some(n) if n != id.as_str() => format!("{n} ({id})"),
        _ => id.to_string(),
    }
}

fn when(t: Timestamp) -> String {
    format!("{} (UK date {})", t, t.london_date())
}

fn describe_disclosure(out: &mut String, f: &Facts, d: &Disclosure) {
    let names = f.names;
    let _ = writeln!(out, "  From:       {}", party(names, &d.from));
    let _ = writeln!(out, "  To:         {}", party(names, &d.to));
    let _ = writeln!(out, "  Disclosed:  {}", when(d.disclosed_at));
    let _ = writeln!(out, "  Gateway:    {}", d.gateway);
    let category = match &d.category {
        Category::InformationRequest {
            information_notice: true,
            ..
        } => "information-request (a formal Information Notice)".to_owned(),
        Category::PublicInformation {
            source: Some(s), ..
        } => format!("public-information (source: {s})"),
        Category::CaseByCase {
            assessment: Some(a),
            ..
        } => format!(
            "case-by-case (assessment {} approved by {})",
            a.reference, a.approver
        ),
        Category::CaseByCase {
            assessment: None, ..
        } => "case-by-case (no assessment recorded)".to_owned(),
        other => other.kind().to_string(),
    };
    let _ = writeln!(out, "  Category:   {category}");
    let companies: Vec<String> = d
        .category
        .companies()
        .iter()
        .map(|c| format!("{} ({})", c.name, c.id))
        .collect();
    if !companies.is_empty() {
        let _ = writeln!(out, "  Companies:  {}", companies.join(", "));
    }
    let themes: Vec<&str> = d.category.themes().iter().map(|t| t.as_str()).collect();
    if !themes.is_empty() {
        let _ = writeln!(out, "  Themes:     {}", themes.join(", "));
    }
    match &d.notification {
        Notification::Notified => {
            let _ = writeln!(
                out,
                "  Notice:     the company was notified before the disclosure"
            );
        }
        Notification::Skipped { reason } => {
            let _ = writeln!(
                out,
                "  Notice:     notification of the company was SKIPPED; reason recorded: {reason}"
            );
        }
    }
    if let Some(r) = &d.relevance {
        let _ = writeln!(out, "  Relevance:  {r}");
    }
    let _ = writeln!(out, "  Recorded by the role: {}", d.officer_role);
}

fn summary_text(f: &Facts) -> String {
    let mut out = String::new();
    let t = f.target;
    let seq = t.seq.0;
    let _ = writeln!(
        out,
        "Entry #{seq} of the disclosure ledger {} — {}",
        f.origin,
        a_kind(t.body.kind())
    );
    let _ = writeln!(
        out,
        "Recorded {} by {}.",
        when(t.recorded_at),
        party(f.names, &t.signer.party)
    );
    let _ = writeln!(out);
    match &t.body {
        Body::Disclosure(d) => {
            let _ = writeln!(out, "What was shared");
            describe_disclosure(&mut out, f, d);
        }
        Body::Correction(c) => {
            let _ = writeln!(
                out,
                "This entry corrects entry {}{}. Reason given: {}",
                c.supersedes,
                f.superseded
                    .map(|s| format!(" ({} recorded {})", a_kind(s.body.kind()), s.recorded_at))
                    .unwrap_or_default(),
                c.reason
            );
            match &c.replacement {
                Some(r) => {
                    let _ = writeln!(out, "\nWhat should have been recorded (the replacement)");
                    describe_disclosure(&mut out, f, r);
                }
                None => {
                    let _ = writeln!(out, "It carries no replacement disclosure.");
                }
            }
            if let Some(Body::Disclosure(d)) = f.superseded.map(|s| &s.body) {
                let _ = writeln!(out, "\nWhat entry {} originally recorded", c.supersedes);
                describe_disclosure(&mut out, f, d);
            }
        }
        _ => {
            let full = crate::describe::full(t, &hex::encode(f.target_hash));
            for line in full.lines().skip(1) {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    if !f.fields.is_empty() {
        let _ = writeln!(
            out,
            "\nFields shared ({}). The ledger holds only a salted commitment to each value; a \
             value is shown only if it was opened:",
            f.fields.len()
        );
        let width = f.fields.iter().map(|x| x.name.len()).max().unwrap_or(0);
        for x in f.fields {
            let status = match (x.status, &x.value, x.erased_at) {
                ("opened", Some(v), _) => {
                    format!("{v:?} (opened: the value matches its commitment)")
                }
                ("erased", _, Some(at)) => format!(
                    "erased on {} at the end of its retention; cannot be opened",
                    at.london_date()
                ),
                _ => "not opened (the bundle proves the field was shared, not its value)".into(),
            };
            let _ = writeln!(out, "  {:<width$}  {status}", x.name);
        }
    }
    if let Body::Disclosure(d) = &t.body {
        let _ = writeln!(out, "\nAcknowledgement");
        if f.acks.is_empty() {
            let _ = writeln!(
                out,
                "  No acknowledgement by {} is recorded{}.",
                party(f.names, &d.to),
                f.checkpoint
                    .map(|c| format!(" in the first {} entries of the ledger", c.size))
                    .unwrap_or_default()
            );
        }
        for a in f.acks {
            if let Body::Acknowledgement(ack) = &a.body {
                let _ = writeln!(
                    out,
                    "  {} acknowledged receipt in entry #{}, recorded {}; received {}.",
                    party(f.names, &a.signer.party),
                    a.seq.0,
                    a.recorded_at,
                    ack.received_at
                );
            }
        }
    }
    if !matches!(t.body, Body::Genesis(_)) {
        let _ = writeln!(out, "\nCorrections");
        if f.corrections.is_empty() {
            let _ = writeln!(
                out,
                "  None: no later entry{} supersedes this one.",
                f.checkpoint
                    .map(|c| format!(" in the first {} entries", c.size))
                    .unwrap_or_default()
            );
        }
        for c in f.corrections {
            if let Body::Correction(corr) = &c.body {
                let _ = writeln!(
                    out,
                    "  Entry #{}, recorded {} by {}, supersedes this entry{}. Reason given: {}",
                    c.seq.0,
                    c.recorded_at,
                    party(f.names, &c.signer.party),
                    if corr.replacement.is_some() {
                        " with a replacement disclosure"
                    } else {
                        ""
                    },
                    corr.reason
                );
                if let Some(r) = &corr.replacement {
                    let _ = writeln!(out, "  The replacement records:");
                    let mut inner = String::new();
                    describe_disclosure(&mut inner, f, r);
                    for line in inner.lines() {
                        let _ = writeln!(out, "  {line}");
                    }
                }
            }
        }
    }
    let _ = writeln!(out, "\nSignatures and proof");
    let _ = writeln!(
        out,
        "  Entry #{seq} is signed by {} with key {}, a key {} held at that point of the ledger.",
        t.signer.party, f.target_key, t.signer.party
    );
    let _ = writeln!(out, "  Its entry hash is {}.", hex::encode(f.target_hash));
    match f.checkpoint {
        Some(c) => {
            let cos: Vec<String> = c
                .cosigners
                .iter()
                .map(|x| format!("{} (key {}) at {}", x.party, x.key, x.at))
                .collect();
            let _ = writeln!(
                out,
                "  It is entry #{seq} of the first {} entries of the ledger, whose root hash {} \
                 was signed by {} (key {}) and cosigned by {}.",
                c.size,
                hex::encode(c.root),
                c.signer,
                c.signer_key,
                if cos.is_empty() {
                    "nobody".to_owned()
                } else {
                    cos.join(", ")
                }
            );
        }
        None => {
            let _ = writeln!(out, "  (The checkpoint could not be read.)");
        }
    }
    out
}

fn readme(manifest: &Manifest, report: &EvidenceReport) -> String {
    let target = manifest.target;
    let size = manifest.tree_size;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "EVIDENCE BUNDLE: entry #{target} of the disclosure ledger {}\n",
        manifest.origin
    );
    out.push_str(
        "This folder proves what one entry of a disclosure ledger records, that the regulator
named in it signed it, and that it has not been changed since: both regulators signed the
state of the whole ledger after it was recorded. Anyone can check it without access to the
ledger. Read summary.txt first: it says in plain words what the entry records.

HOW TO CHECK IT

  dledger verify-evidence THIS-FOLDER --trust KEYS-FOLDER

KEYS-FOLDER must hold the regulators' published public keys (*.vkey files), obtained
from the regulators themselves, never from this folder. The command prints every check
and the summary, and ends with status 0 if every check passed, 2 if any failed. To
check by hand instead, follow docs/EVIDENCE.md of the disclosure-ledger project; the
steps use standard tools (sha256sum, openssl, Go's golang.org/x/mod/sumdb packages):

  1. Fingerprints: each file's SHA-256 (sha256sum FILE) is the one manifest.json lists.
  2. Entry hash: (printf '\\000'; cat entries/N.bin) | sha256sum gives the entry's
     leaf_hash in manifest.json.
  3. Signature: entries/N.sig is an Ed25519 signature, by the signer's key, of the text
     \"disclosure-ledger/entry-signature/v1\" and a newline followed by entries/N.bin.
  4. Inclusion: the hashes in entries/N.tlog-proof lead from the entry hash to the root
     hash in checkpoint.note (RFC 6962; Go: tlog.CheckRecord).
  5. Checkpoint: checkpoint.note is signed by one regulator (Go: note.Open) and cosigned
     by the other (c2sp.org/tlog-cosignature).
  6. Fields: SHA-256 of \"disclosure-ledger/field-commitment/v1\", a zero byte, the salt,
     the name and the value (each with its length) equals the commitment in the entry.

WHAT EACH FILE PROVES

",
    );
    let item = |out: &mut String, name: &str, text: &str| {
        let _ = writeln!(out, "{name}");
        for line in textwrap(text, 84) {
            let _ = writeln!(out, "    {line}");
        }
        out.push('\n');
    };
    item(
        &mut out,
        "summary.txt",
        "What the entry records: what was shared, by whom, to whom, when, under which legal \
         gateway, whether the company was notified first, any acknowledgement and correction, and \
         who signed. verify-evidence derives this text again from the signed entries and fails if \
         the file says anything else.",
    );
    item(
        &mut out,
        &format!("entries/{target}.bin"),
        "The entry itself: the exact bytes that were signed and recorded (layout: docs/FORMAT.md). \
         Its SHA-256 with a 00 byte in front is its entry hash, the value every proof below is \
         about.",
    );
    item(
        &mut out,
        &format!("entries/{target}.sig"),
        "The Ed25519 signature (base64) of the regulator that recorded the entry. It proves that \
         regulator's key signed exactly these bytes.",
    );
    item(
        &mut out,
        &format!("entries/{target}.tlog-proof"),
        &format!(
            "A c2sp.org/tlog-proof@v1 inclusion proof: {} hashes that link the entry hash to the \
             root hash of the checkpoint, proving it is entry #{target} of the ledger's first \
             {size} entries. The checkpoint is copied at its end.",
            report.proof_hashes.unwrap_or(0)
        ),
    );
    let others: Vec<&ManifestEntry> = manifest
        .entries
        .iter()
        .filter(|e| e.seq != target)
        .collect();
    for role in [
        Role::Acknowledgement,
        Role::Correction,
        Role::Superseded,
        Role::Genesis,
        Role::KeyHistory,
    ] {
        let seqs: Vec<String> = others
            .iter()
            .filter(|e| e.role == role)
            .map(|e| format!("entries/{}.*", e.seq))
            .collect();
        if seqs.is_empty() {
            continue;
        }
        let text = match role {
            Role::Acknowledgement => {
                "The recipient's acknowledgement of the entry, signed by the recipient."
            }
            Role::Correction => {
                "A later correction, by the same regulator, that supersedes the entry (nothing in \
                                  the ledger is ever edited)."
            }
            Role::Superseded => "The earlier entry this correction supersedes.",
            Role::Genesis => {
                "The ledger's first entry: it names the regulators and their root keys (trust \
                              roots), which must match the keys you trust."
            }
            _ => {
                "Key changes: every key added, replaced or withdrawn by the regulators this bundle \
                  relies on, up to the checkpoint. They show which key each regulator was entitled \
                  to use at each point."
            }
        };
        item(
            &mut out,
            &seqs.join(", "),
            &format!("{text} Each has its bytes, signature and inclusion proof, as above."),
        );
    }
    item(
        &mut out,
        "checkpoint.note",
        &format!(
            "A signed statement of the whole ledger's state: its first {size} entries and one root \
             hash, signed by one regulator and countersigned (cosigned) by the other (C2SP \
             tlog-checkpoint and tlog-cosignature). Because both signed, neither could change an \
             entry afterwards without the other noticing."
        ),
    );
    item(
        &mut out,
        "openings.json",
        "The values of the fields the requester asked for, each with its salt: together they \
         reproduce the commitment in the signed entry, proving the value is the one recorded. \
         Fields whose values were erased at the end of their retention period are listed with the \
         date of erasure; they cannot be opened. Other fields stay secret.",
    );
    item(
        &mut out,
        "manifest.json",
        "The list of files with their SHA-256 fingerprints (sha256sum), to detect damage. It is \
         not signed: the signatures and proofs above are what establish authenticity.",
    );
    out.push_str("WHAT THIS BUNDLE DOES NOT PROVE\n\n");
    for line in [
        "- That what the entry says is true: only that it was recorded, signed and not changed.",
        "- That the list of key changes is complete: each one included is proved, but a proof of \
         inclusion cannot show that no other exists. The other regulator, who holds a copy of the \
         ledger and cosigned it, can confirm the list.",
        "- When a value was erased: the erasure date is the bundle maker's statement.",
    ] {
        for (i, l) in textwrap(line, 86).into_iter().enumerate() {
            let _ = writeln!(out, "{}{l}", if i == 0 { "" } else { "  " });
        }
    }
    out
}

/// "a disclosure", "an acknowledgement".
fn a_kind(kind: EntryKind) -> String {
    let name = kind.as_str();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

fn textwrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
