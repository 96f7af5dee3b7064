//! Evidence bundles for legal teams: building them from a ledger ([`build_bundle`]) and writing
//! them ([`Bundle::write`]). Checking a bundle is the job of the `evidence-verify` crate, whose
//! items are re-exported here; the builder runs that same verifier on every bundle it makes.
//! Every file and every check is described in docs/EVIDENCE.md.

use std::path::PathBuf;

use tlog::ProofError;

use crate::ledger::ReplayError;
use crate::model::EntryKind;
use crate::store::StoreError;

mod build;
mod bundle;
mod dossier;
mod index_proofs;

pub use build::build_bundle;
pub use bundle::Bundle;
pub use dossier::build_dossier;
pub use evidence_verify::{
    BUNDLE_FORMAT, BUNDLE_VERSION, CHECKPOINT_FILE, Check, CheckName, Cosigner, ENTRIES_DIR,
    EvidenceReport, FieldReport, MANIFEST_FILE, MAX_BUNDLE_BYTES, MAX_BUNDLE_ENTRIES, Manifest,
    ManifestEntry, ManifestFile, OPENINGS_FILE, Opening, Openings, README_FILE, ReadError, Role,
    SUMMARY_FILE, TrustError, load_trust_dir, verify_bundle, verify_files,
};
pub use evidence_verify::{
    INDEX_FILE, IndexProofItem, IndexProofs, NewerCheckpoint, verify_bundle_against,
};
pub use index_proofs::index_proofs;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a bundle could not be built or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// An output file or directory could not be created owner-only (a symlink at the path, or
    /// the operating system refused); nothing was written through it.
    #[error(transparent)]
    Output(#[from] crate::files::WriteFileError),
    /// The ledger has no entry with that number.
    #[error(
        "there is no entry #{seq}; the ledger has {len} entries (0 to {})",
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
         must prove the entry against a tree head both regulators signed",
        covered(*latest)
    )]
    NoCosignedCheckpoint {
        /// The entry asked for.
        seq: u64,
        /// Size of the latest valid cosigned checkpoint, if any.
        latest: Option<u64>,
    },
    /// `--open` asked for fields of an entry that has none.
    #[error("entry #{seq} ({kind}) records no fields, so there is nothing to open")]
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
         recorded; the ledger's vault is incomplete"
    )]
    NoValue {
        /// The entry.
        seq: u64,
        /// The field.
        field: String,
    },
    /// The ledger is damaged; evidence from it would not verify.
    #[error("cannot build evidence: {reason}")]
    Damaged {
        /// What is wrong.
        reason: String,
    },
    /// The bundle that was built does not pass its own verification (a damaged ledger or a bug).
    #[error(
        "the bundle built for entry #{seq} fails its own verification, so it was not written: {}",
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
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Replaying the ledger failed.
    #[error("cannot build evidence: {0}")]
    Replay(#[from] ReplayError),
    /// The Merkle tree could not produce a proof.
    #[error("cannot prove inclusion: {0}")]
    Proof(#[from] ProofError),
}

/// How far the latest cosigned checkpoint reaches, for [`EvidenceError::NoCosignedCheckpoint`].
fn covered(latest: Option<u64>) -> String {
    match latest {
        Some(n) => format!("the latest cosigned checkpoint covers only the first {n} entries"),
        None => "the ledger has no cosigned checkpoint".to_owned(),
    }
}

/// `report` if every check of a bundle (or dossier) just built passed; else the error naming
/// the failed checks, so that nothing is written.
pub(crate) fn self_checked(
    seq: u64,
    report: EvidenceReport,
) -> Result<EvidenceReport, EvidenceError> {
    if report.ok {
        return Ok(report);
    }
    Err(EvidenceError::SelfCheck {
        seq,
        failures: report
            .failures()
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect(),
    })
}

pub(crate) fn damaged(reason: impl Into<String>) -> EvidenceError {
    EvidenceError::Damaged {
        reason: reason.into(),
    }
}
