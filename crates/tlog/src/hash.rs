//! SHA-256 with RFC 6962 domain separation: leaf and interior-node hashes.
//!
//! Each kind of hash has its own named prefix, so a hash of one kind can never be passed off as
//! another. Hashes of the ledger's own domain (field commitments) live in `ledger-core`.

use sha2::{Digest as _, Sha256};

/// A SHA-256 output.
pub type Digest = [u8; 32];

/// Prefix of a Merkle leaf hash (RFC 6962 §2.1; RFC 9162 §2.1.1). Entry hashes are leaf hashes,
/// so the chain and the tree share them.
pub const LEAF_HASH_PREFIX: u8 = 0x00;

/// Prefix of a Merkle interior node hash (RFC 6962 §2.1; RFC 9162 §2.1.1).
pub const NODE_HASH_PREFIX: u8 = 0x01;

/// SHA-256 of arbitrary bytes, with no prefix (used for policy documents and key ids).
pub fn sha256(bytes: &[u8]) -> Digest {
    Sha256::digest(bytes).into()
}

/// RFC 6962 leaf hash: SHA-256(0x00 ‖ bytes).
pub fn leaf_hash(bytes: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update([LEAF_HASH_PREFIX]);
    h.update(bytes);
    h.finalize().into()
}

/// RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Digest, right: &Digest) -> Digest {
    let mut h = Sha256::new();
    h.update([NODE_HASH_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6962 test data: the leaf hash of the empty string and a known node hash
    /// (transparency-dev/merkle testonly, commit 417fb0c3).
    #[test]
    fn known_answers() {
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            hex::encode(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
