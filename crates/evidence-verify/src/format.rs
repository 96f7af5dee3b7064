//! The bundle's files: their names, size limits and the manifest and openings formats
//! (docs/EVIDENCE.md, "Files").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use ledger_core::model::{EntryKind, Seq, Timestamp};

/// The `format` value of every bundle manifest.
pub const BUNDLE_FORMAT: &str = "disclosure-ledger-evidence";

/// The bundle format version this build writes. Version 2 adds `index-proofs.json` (proofs of
/// completeness); this build also reads version 1, whose completeness is "not proven".
pub const BUNDLE_VERSION: u32 = 2;

/// The oldest bundle format version this build reads.
pub const OLDEST_BUNDLE_VERSION: u32 = 1;

/// The `format` value of a company dossier's manifest.
pub const DOSSIER_FORMAT: &str = "disclosure-ledger-dossier";

/// The dossier format version this build writes and reads.
pub const DOSSIER_VERSION: u32 = 1;

/// A dossier's self-contained, printable HTML page (derived from the entries, like
/// `summary.txt`).
pub const DOSSIER_HTML_FILE: &str = "dossier.html";

/// A dossier's entries, packed one a line ([`crate::PackedEntry`]).
pub const DOSSIER_ENTRIES_FILE: &str = "entries.jsonl";

/// Most entries a dossier may hold.
pub const MAX_DOSSIER_ENTRIES: usize = 1_000_000;

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
/// The index proofs file (bundle version 2): proofs against the checkpoint's entry index root
/// that the bundle holds every entry referring to the target and the whole key history of
/// every party it relies on.
pub const INDEX_FILE: &str = "index-proofs.json";

/// Most entries a bundle may hold (genesis, key history, the target and its references).
pub const MAX_BUNDLE_ENTRIES: usize = 1000;
/// Most bytes the verifier reads from one bundle in all.
pub const MAX_BUNDLE_BYTES: u64 = 256 << 20;

pub(crate) const MAX_MANIFEST_BYTES: u64 = 64 << 20;
pub(crate) const MAX_TEXT_BYTES: u64 = 32 << 20;
pub(crate) const MAX_NOTE_BYTES: u64 = 64 << 10;
pub(crate) const MAX_PROOF_BYTES: u64 = 64 << 10;
pub(crate) const MAX_SIG_BYTES: u64 = 256;
pub(crate) const MAX_OPENINGS_BYTES: u64 = 16 << 20;
pub(crate) const MAX_INDEX_BYTES: u64 = 64 << 20;
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
    /// A party's disposition of a flag raised on the target (what it did about the flag), or
    /// one naming the target (a correction) as its remedy.
    Disposition,
    /// An erasure of field values of the target.
    Erasure,
    /// A confirmation of the target (a proposal).
    Confirmation,
    /// In a dossier: a disclosure, correction or refusal naming the company.
    Subject,
    /// In a dossier: a theme, policy or designation entry (the registers the flags are judged
    /// against), or an entry referring to one or to a subject.
    Register,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Target => "target",
            Role::Genesis => "genesis",
            Role::KeyHistory => "key-history",
            Role::Acknowledgement => "acknowledgement",
            Role::Correction => "correction",
            Role::Superseded => "superseded",
            Role::Disposition => "disposition",
            Role::Erasure => "erasure",
            Role::Confirmation => "confirmation",
            Role::Subject => "subject",
            Role::Register => "register",
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
    /// For a company dossier ([`DOSSIER_FORMAT`]): whose, and the period of its table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dossier: Option<DossierScope>,
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
    pub(crate) fn name(&self) -> &str {
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

/// A bundle's files by relative path.
pub(crate) type Files = BTreeMap<String, Vec<u8>>;

/// The path of an entry file in a bundle: `entries/<seq>.<ext>`.
pub fn entry_path(seq: Seq, ext: &str) -> String {
    let seq = seq.0;
    format!("{ENTRIES_DIR}/{seq}.{ext}")
}

/// Whether an entry kind is part of a party's key history.
pub fn is_key_history(kind: EntryKind) -> bool {
    matches!(
        kind,
        EntryKind::KeyAdded | EntryKind::KeyRotated | EntryKind::KeyRevoked
    )
}

/// `index-proofs.json`: for each index key the bundle relies on, the exact list of entries filed
/// under it at the checkpoint's size and the proof of that list against the checkpoint's index
/// root (docs/FORMAT.md §7.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexProofs {
    /// The proofs, one per key.
    pub proofs: Vec<IndexProofItem>,
}

/// One key's list and its proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexProofItem {
    /// The index key's text, e.g. `refs/42` or `keys/ICO`.
    pub key: String,
    /// The sequence numbers filed under it, in increasing order (empty: none).
    pub entries: Vec<u64>,
    /// The proof's bytes (docs/FORMAT.md §7.6), standard base64.
    pub proof: String,
}

/// What a company dossier covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierScope {
    /// The company's id.
    pub company: String,
    /// First day of disclosures shown in its table (`YYYY-MM-DD`, London), if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last day shown, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A dossier's `openings.json` (with `dledger dossier --open`): the opened (or erased) fields of
/// each disclosure that has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierOpenings {
    /// One entry's openings each.
    pub entries: Vec<Openings>,
}
