//! The trusted keys a bundle is checked against: the parties' published public keys.

use std::fs;
use std::path::{Path, PathBuf};

use ledger_core::keys::PublicKey;
use ledger_core::model::PublicKeyRecord;

use crate::error::*;

// ---------------------------------------------------------------------------
// Trusted keys
// ---------------------------------------------------------------------------

/// Loads every `*.vkey` file of `dir` (other files, such as private keys, are ignored).
pub fn load_trust_dir(dir: &Path) -> Result<Vec<PublicKey>, TrustError> {
    let io = |source| TrustError::Io {
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
        return Err(TrustError::NoTrustedKeys {
            dir: dir.to_owned(),
        });
    }
    paths
        .iter()
        .map(|p| {
            PublicKey::load(p).map_err(|e| TrustError::Malformed {
                path: p.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}

pub(crate) fn is_trusted(record: &PublicKeyRecord, trusted: &[PublicKey]) -> bool {
    trusted.iter().any(|t| {
        t.key_id == record.key_id && t.name == record.name && t.key.as_bytes() == &record.public
    })
}
