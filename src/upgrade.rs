//! `dledger upgrade`: converts a ledger file written by an older dledger (store version 1) into
//! a new file of the current layout, then verifies the new file.
//!
//! The old file is only read. The new file holds the same entries, signatures, vault values,
//! erasure records and checkpoint notes, byte for byte (so `dledger export` of the two is
//! identical), in the layout of docs/FORMAT.md §10.
//!
//! The new file is written under a temporary name in the target's directory
//! (`.NAME.upgrading-PID-NANOS`) and given the target's name only once it is complete, indexed
//! and verified, so the target path never holds a half-converted file, even if the process is
//! killed. If the old file's stored hashes disagree with its entries, or the converted ledger
//! fails verification, the temporary file is removed and nothing is left behind (a killed
//! upgrade can leave the temporary file, never the target).

use std::path::{Path, PathBuf};

use crate::store::v1::{ConvertError, Converted, convert_v1};
use crate::store::{Access, OpenError, Store};
use crate::verify::{FlagFilter, IntegrityStatus, VerifyError, VerifyOptions, verify_ledger};

/// Why an upgrade failed. Nothing is left at the target path, nor any temporary file, in every
/// case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpgradeError {
    /// The conversion failed (see [`ConvertError`]).
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// The converted ledger could not be reopened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// Verifying the converted ledger failed to run.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The writer's index of the converted ledger could not be built or written.
    #[error("cannot index the converted ledger: {0}")]
    Index(String),
    /// The converted, verified file could not be given the target's name.
    #[error("cannot name the converted ledger {path}: {source}")]
    Publish {
        /// The target.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The converted ledger has integrity failures: so has the old one.
    #[error(
        "the converted ledger fails verification ({count} problem{s}, first at entry {first}); \
         nothing was written. The old file has the same problems"
    )]
    Invalid {
        /// Number of failures.
        count: usize,
        /// "s" or "".
        s: &'static str,
        /// First failure.
        first: String,
    },
}

/// Converts the version-1 ledger at `old` into a new ledger at `new` (which must not exist)
/// and verifies its integrity as `dledger verify` does (signatures, chain, tree, vault,
/// checkpoints; policy flags do not matter here). Returns what was copied.
pub fn upgrade(old: &Path, new: &Path) -> Result<Converted, UpgradeError> {
    if new.symlink_metadata().is_ok() {
        return Err(already_exists(new));
    }
    let tmp = temporary_path(new);
    let result = convert_and_verify(old, &tmp);
    let result = result.and_then(|c| publish(&tmp, new).map(|()| c));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The refusal of a target that exists (as the conversion itself reports it).
fn already_exists(target: &Path) -> UpgradeError {
    UpgradeError::Convert(ConvertError::from(OpenError::AlreadyExists {
        path: target.to_owned(),
    }))
}

/// A name for the file being converted, beside `target` (so the final rename stays within
/// one file system) and hidden, unique to this process and moment.
fn temporary_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ledger".to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    target.with_file_name(format!(".{name}.upgrading-{}-{nanos}", std::process::id()))
}

/// Gives the complete, verified file at `tmp` the name `target`, refusing to replace a file
/// that appeared there meanwhile, and makes the new name durable.
fn publish(tmp: &Path, target: &Path) -> Result<(), UpgradeError> {
    let exists = || already_exists(target);
    match std::fs::hard_link(tmp, target) {
        Ok(()) => {
            let _ = std::fs::remove_file(tmp);
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists()),
        // A file system without hard links: rename, after checking again.
        Err(_) => {
            if target.symlink_metadata().is_ok() {
                return Err(exists());
            }
            std::fs::rename(tmp, target).map_err(|source| UpgradeError::Publish {
                path: target.to_owned(),
                source,
            })?;
        }
    }
    // The directory entry itself must survive a crash.
    if let Some(dir) = target.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Converts `old` into a new file at `new`, indexes and verifies it.
fn convert_and_verify(old: &Path, new: &Path) -> Result<Converted, UpgradeError> {
    let converted = convert_v1(old, new)?;
    let result = (|| {
        // The writer's index (register snapshot and references), as every commit writes it.
        {
            let store = Store::open(new, Access::ReadWrite)?;
            let index = crate::ledger::rebuild_index(&store)
                .map_err(|e| UpgradeError::Index(e.to_string()))?;
            store
                .rewrite_index(&index)
                .map_err(|e| UpgradeError::Index(e.to_string()))?;
        }
        let store = Store::open(new, Access::ReadOnly)?;
        let report = verify_ledger(&store, &VerifyOptions::default(), &FlagFilter::default())?;
        if report.integrity.status != IntegrityStatus::Intact {
            let f = &report.integrity.failures;
            return Err(UpgradeError::Invalid {
                count: f.len(),
                s: if f.len() == 1 { "" } else { "s" },
                first: f.first().map_or_else(String::new, |f| {
                    format!("{} {}: {}", f.seq, f.kind, f.message)
                }),
            });
        }
        Ok(converted)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(new);
    }
    result
}
