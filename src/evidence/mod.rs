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
        "{what} fails its own verification, so it was not written: {}{}",
        failures.join("; "),
        if *more > 0 { format!("; and {more} more failed checks") } else { String::new() }
    )]
    SelfCheck {
        /// What was built: "the evidence bundle for entry #42", "the dossier of brightloop".
        what: String,
        /// The first failed checks (at most [`SELF_CHECK_SHOWN`]).
        failures: Vec<String>,
        /// How many more failed.
        more: usize,
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
    what: String,
    report: EvidenceReport,
) -> Result<EvidenceReport, EvidenceError> {
    if report.ok {
        return Ok(report);
    }
    let failures: Vec<String> = report
        .failures()
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    let more = failures.len().saturating_sub(SELF_CHECK_SHOWN);
    Err(EvidenceError::SelfCheck {
        what,
        failures: failures.into_iter().take(SELF_CHECK_SHOWN).collect(),
        more,
    })
}

/// How many failed checks a self-check error names (a damaged ledger can fail thousands; the
/// first few say what is wrong, and `dledger verify` gives the full report).
pub const SELF_CHECK_SHOWN: usize = 10;

pub(crate) fn damaged(reason: impl Into<String>) -> EvidenceError {
    EvidenceError::Damaged {
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evidence_verify::{Check, CheckName};

    #[test]
    fn a_self_check_error_names_the_first_failures_and_counts_the_rest() {
        let checks: Vec<Check> = (0..25)
            .map(|i| Check {
                name: CheckName::EntryDecode,
                ok: i == 0,
                detail: format!("#{i}: damaged"),
            })
            .collect();
        let report = EvidenceReport {
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
        };
        let err = self_checked("the dossier of brightloop".into(), report).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("the dossier of brightloop fails its own verification"),
            "{text}"
        );
        assert!(
            text.contains("#1: damaged") && text.contains("#10: damaged"),
            "{text}"
        );
        assert!(!text.contains("#11: damaged"), "{text}");
        assert!(text.ends_with("; and 14 more failed checks"), "{text}");
    }
}
