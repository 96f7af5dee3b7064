//! Domain-separated SHA-256 of the ledger's domain: field commitments, plus the RFC 6962 leaf
//! and node hashes of [`tlog`] ([`tlog::leaf_hash`], [`tlog::node_hash`]), re-exported so the ledger has one place for every hash.
//!
//! Each kind of hash has its own prefix, so a hash of one kind can never be passed off as
//! another.

use sha2::{Digest as _, Sha256};

pub use tlog::{Digest, LEAF_HASH_PREFIX, NODE_HASH_PREFIX, leaf_hash, node_hash, sha256};

/// Prefix of a field commitment (docs/FORMAT.md, "Field commitments"). The trailing NUL keeps it
/// from being a prefix of any leaf or node input, which start with 0x00 or 0x01.
pub const FIELD_COMMITMENT_PREFIX: &[u8] = b"disclosure-ledger/field-commitment/v1\0";

/// Salted commitment to a field's value:
/// SHA-256(prefix ‖ salt ‖ u64le(len name) ‖ name ‖ u64le(len value) ‖ value).
pub fn field_commitment(salt: &[u8; 32], name: &str, value: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update(FIELD_COMMITMENT_PREFIX);
    h.update(salt);
    h.update((name.len() as u64).to_le_bytes());
    h.update(name.as_bytes());
    h.update((value.len() as u64).to_le_bytes());
    h.update(value);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitments_depend_on_every_input() {
        let salt = [7u8; 32];
        let base = field_commitment(&salt, "request_date", b"2024-03-01");
        assert_ne!(
            base,
            field_commitment(&[8u8; 32], "request_date", b"2024-03-01")
        );
        assert_ne!(
            base,
            field_commitment(&salt, "response_deadline", b"2024-03-01")
        );
        assert_ne!(base, field_commitment(&salt, "request_date", b"2024-03-02"));
        // Moving a byte between name and value changes the hash (lengths are framed).
        assert_ne!(
            field_commitment(&salt, "ab", b"c"),
            field_commitment(&salt, "a", b"bc")
        );
    }
}
