//! `dledger upgrade`: converts a ledger file written by an older dledger (store version 1) into
//! a new file of the current layout, then verifies the new file.
//!
//! The old file is only read. The new file holds the same entries, signatures, vault values,
//! erasure records and checkpoint notes, byte for byte (so `dledger export` of the two is
//! identical), in the layout of docs/FORMAT.md §10. If the old file's stored hashes disagree
//! with its entries, or the converted ledger fails verification, the new file is removed and
//! nothing is left behind.

use std::path::Path;

use crate::store::v1::{ConvertError, Converted, convert_v1};
use crate::store::{Access, OpenError, Store};
use crate::verify::{FlagFilter, IntegrityStatus, VerifyError, VerifyOptions, verify_ledger};

/// Why an upgrade failed. The new file is removed in every case.
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
    /// The converted ledger has integrity failures: so has the old one.
    #[error(
        "the converted ledger fails verification ({count} problem{s}, first at entry {first}); \
         nothing was written. The old file has the same problems: run `dledger verify` on it \
         with the dledger that wrote it, and restore it from a backup or import the other \
         party's export"
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
