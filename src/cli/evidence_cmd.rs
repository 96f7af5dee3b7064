//! The `evidence`, `verify-evidence` and `vault erase` commands.

use std::path::Path;

use anyhow::{Result, bail};
use disclosure_ledger::store::Store;

use super::Status;
use super::args::{EvidenceArgs, VerifyEvidenceArgs};

/// `dledger evidence SEQ [--open FIELD,...] -o DIR`.
pub fn evidence(_store: &Store, _a: EvidenceArgs) -> Result<Status> {
    bail!("evidence bundles are being built in this change")
}

/// `dledger verify-evidence DIR --trust KEYS`.
pub fn verify_evidence(_a: VerifyEvidenceArgs) -> Result<Status> {
    bail!("evidence bundles are being built in this change")
}

/// `dledger vault erase --before DATE`.
pub fn vault_erase(_ledger: &Path, _before: &str) -> Result<Status> {
    bail!("vault erasure is being built in this change")
}
