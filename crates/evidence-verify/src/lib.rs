//! The offline verifier of disclosure-ledger evidence bundles: small, with few dependencies, so
//! that a court's expert can audit all of it.
//!
//! A bundle is a directory that proves, to someone who has no access to the ledger, what one
//! entry records, who signed it, that it is part of the ledger's history as both regulators
//! signed it (a cosigned C2SP checkpoint), and the values of the fields the legal team asked to
//! open. `dledger evidence` makes one; [`verify_bundle`] checks one with nothing but the
//! parties' trusted public keys ([`load_trust_dir`]). Every file and every check is described
//! in docs/EVIDENCE.md, with a by-hand procedure for each.
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
//! unknown files are refused, and nothing in a bundle can make it panic. It depends only on
//! `tlog` (hashes, proofs, notes) and `ledger-core` (entries, keys, registers, rules): no
//! database, no network.
//!
//! # Example
//!
//! A directory that is not a bundle is reported as such, with what to do:
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("notes.txt"), "not a bundle").unwrap();
//! let report = evidence_verify::verify_bundle(dir.path(), &[]).unwrap();
//! assert!(!report.ok);
//! assert!(report.failed(evidence_verify::CheckName::Files));
//! println!("{}", report.to_text("my-bundle"));
//! ```

mod check;
mod dossier_text;
mod error;
mod format;
mod packed;
mod read;
mod report;
mod summary;
mod trust;

pub use check::{
    DossierRow, NewerCheckpoint, analyze, check_freshness, derive_dossier, derive_role,
    relied_parties, verify_bundle, verify_bundle_against, verify_files,
};
pub use error::{ReadError, TrustError};
pub use format::{
    BUNDLE_FORMAT, BUNDLE_VERSION, CHECKPOINT_FILE, DOSSIER_ENTRIES_FILE, DOSSIER_FORMAT,
    DOSSIER_HTML_FILE, DOSSIER_VERSION, DossierOpenings, DossierScope, ENTRIES_DIR, INDEX_FILE,
    IndexProofItem, IndexProofs, MANIFEST_FILE, MAX_BUNDLE_BYTES, MAX_BUNDLE_ENTRIES,
    MAX_DOSSIER_ENTRIES, Manifest, ManifestEntry, ManifestFile, OLDEST_BUNDLE_VERSION,
    OPENINGS_FILE, Opening, Openings, README_FILE, Role, SUMMARY_FILE, entry_path, is_key_history,
};
pub use packed::{PackedEntry, pack_entries, unpack_entries};
pub use report::{Check, CheckName, Cosigner, EvidenceReport, FieldReport};
pub use summary::readme;
pub use trust::load_trust_dir;
