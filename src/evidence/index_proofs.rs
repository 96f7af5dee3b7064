//! The index proofs a bundle or dossier carries: for each index key it relies on, the exact
//! list of entries filed under it at the checkpoint's size, and the proof of that list against
//! the entry index root the checkpoint signs (docs/FORMAT.md §7.6).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ledger_core::index::IndexKey;
use tlog::map::ListDigest;

use super::{EvidenceError, IndexProofItem, IndexProofs, damaged};
use crate::store::Store;

/// Proves each of `lists` — (key, the entries the caller found filed under it, in increasing
/// order) — against the entry index of the first `size` entries of `store`. A list that is not
/// the one the entries give is an error (the ledger's derived tables disagree with its entries).
pub fn index_proofs(
    store: &Store,
    size: u64,
    lists: &[(IndexKey, Vec<u64>)],
) -> Result<IndexProofs, EvidenceError> {
    let keys: Vec<IndexKey> = lists.iter().map(|(k, _)| k.clone()).collect();
    let proved =
        crate::entry_index::prove_at(store, size, &keys).map_err(|e| damaged(e.to_string()))?;
    let mut proofs = Vec::with_capacity(lists.len());
    for ((key, entries), (digest, proof)) in lists.iter().zip(proved) {
        if digest != ListDigest::of(entries) {
            return Err(damaged(format!(
                "the entries filed under {key} in the ledger's tables differ from those the \
                 entries give; run `dledger verify`, then `dledger reindex`"
            )));
        }
        proofs.push(IndexProofItem {
            key: key.text(),
            entries: entries.clone(),
            proof: BASE64.encode(proof.to_bytes()),
        });
    }
    Ok(IndexProofs { proofs })
}
