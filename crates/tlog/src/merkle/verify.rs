//! Pure proof verification, step by step as RFC 9162 writes it.
//!
//! The step numbers in the comments are those of RFC 9162 §2.1.3.2
//! (inclusion) and §2.1.4.2 (consistency).

use super::ProofError;
use crate::hash::{Digest, node_hash};

/// Number of hashes in the inclusion proof of leaf `index` in a tree of `size`
/// leaves (`index < size`): the hashes below the point where the paths to
/// `index` and to the last leaf split, plus one per left-hand complete subtree
/// above it.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    // `inner` is 64 when the paths split at the top bit (size > 2^63): nothing is left above.
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// Number of hashes in the consistency proof from `size1` to `size2`
/// (`0 < size1 < size2`).
fn consistency_proof_len(size1: u64, size2: u64) -> usize {
    let inner = 64 - ((size1 - 1) ^ (size2 - 1)).leading_zeros();
    let border = (size1 - 1).checked_shr(inner).unwrap_or(0).count_ones();
    let shift = size1.trailing_zeros();
    // The hash of the old tree's largest right-most complete subtree is sent
    // unless the old tree is that subtree (size1 a power of two).
    let seed = u32::from(!size1.is_power_of_two());
    (inner - shift + border + seed) as usize
}

/// Verifies that `leaf` is the leaf hash at `index` in the tree of `size`
/// leaves whose root is `root`, given the audit path `proof`.
///
/// Pure: reads no storage. Implements RFC 9162 §2.1.3.2 exactly; a proof
/// with preceding or trailing hashes, or made for another index or size, is
/// rejected.
pub fn verify_inclusion(
    proof: &[Digest],
    index: u64,
    size: u64,
    leaf: &Digest,
    root: &Digest,
) -> Result<(), ProofError> {
    // 1. Compare leaf_index against tree_size: fail if leaf_index >= tree_size.
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let wrong_length = || ProofError::WrongProofLength {
        expected: inclusion_proof_len(index, size),
        got: proof.len(),
    };
    // 2. Set fn to leaf_index and sn to tree_size - 1.
    let mut f_n = index;
    let mut s_n = size - 1;
    // 3. Set r to hash.
    let mut r = *leaf;
    // 4. For each value p in the inclusion_path array:
    for p in proof {
        // a. If sn is 0, then stop the iteration and fail the proof verification.
        if s_n == 0 {
            return Err(wrong_length());
        }
        // b. If LSB(fn) is set, or if fn is equal to sn, then:
        if f_n & 1 == 1 || f_n == s_n {
            // 1. Set r to HASH(0x01 || p || r).
            r = node_hash(p, &r);
            // 2. If LSB(fn) is not set, then right-shift both fn and sn
            //    equally until either LSB(fn) is set or fn is 0.
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            // Otherwise: set r to HASH(0x01 || r || p).
            r = node_hash(&r, p);
        }
        // c. Finally, right-shift both fn and sn one time.
        f_n >>= 1;
        s_n >>= 1;
    }
    // 5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0
    //    and r and the root_hash are equal, then the log has proven the
    //    inclusion of hash. Otherwise, fail the proof verification.
    if s_n != 0 {
        return Err(wrong_length());
    }
    if r != *root {
        return Err(ProofError::RootMismatch {
            expected: *root,
            computed: r,
        });
    }
    Ok(())
}

/// Verifies that the tree of `size2` leaves with root `root2` extends the tree
/// of `size1` leaves with root `root1`, given the consistency proof `proof`.
///
/// Pure: reads no storage. Implements RFC 9162 §2.1.4.2 exactly, with the
/// cases outside its `0 < first < second` precondition settled as follows:
/// `size1 > size2` is [`ProofError::SizeDecreased`]; `size1 == 0` is
/// [`ProofError::EmptyOldTree`] (a proof from the empty tree proves nothing);
/// `size1 == size2` requires an empty proof and equal roots
/// ([`ProofError::SameSizeDifferentRoots`] otherwise: a fork).
pub fn verify_consistency(
    proof: &[Digest],
    size1: u64,
    size2: u64,
    root1: &Digest,
    root2: &Digest,
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::SizeDecreased {
            old_size: size1,
            new_size: size2,
        });
    }
    if size1 == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                expected: 0,
                got: proof.len(),
            });
        }
        if root1 != root2 {
            return Err(ProofError::SameSizeDifferentRoots {
                size: size1,
                first: *root1,
                second: *root2,
            });
        }
        return Ok(());
    }
    let wrong_length = || ProofError::WrongProofLength {
        expected: consistency_proof_len(size1, size2),
        got: proof.len(),
    };
    // 1. If consistency_path is an empty array, stop and fail the proof verification.
    let Some((head, tail)) = proof.split_first() else {
        return Err(wrong_length());
    };
    // 2. If first is an exact power of 2, then prepend first_hash to the
    //    consistency_path array.
    let (seed, rest) = if size1.is_power_of_two() {
        (root1, proof)
    } else {
        (head, tail)
    };
    // 3. Set fn to first - 1 and sn to second - 1.
    let mut f_n = size1 - 1;
    let mut s_n = size2 - 1;
    // 4. If LSB(fn) is set, then right-shift both fn and sn equally until
    //    LSB(fn) is not set.
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    // 5. Set both fr and sr to the first value in the consistency_path array.
    let mut fr = *seed;
    let mut sr = *seed;
    // 6. For each subsequent value c in the consistency_path array:
    for c in rest {
        // a. If sn is 0, then stop the iteration and fail the proof verification.
        if s_n == 0 {
            return Err(wrong_length());
        }
        // b. If LSB(fn) is set, or if fn is equal to sn, then:
        if f_n & 1 == 1 || f_n == s_n {
            // 1. Set fr to HASH(0x01 || c || fr). Set sr to HASH(0x01 || c || sr).
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            // 2. If LSB(fn) is not set, then right-shift both fn and sn
            //    equally until either LSB(fn) is set or fn is 0.
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            // Otherwise: set sr to HASH(0x01 || sr || c).
            sr = node_hash(&sr, c);
        }
        // c. Finally, right-shift both fn and sn one time.
        f_n >>= 1;
        s_n >>= 1;
    }
    // 7. Verify that fr equals first_hash, sr equals second_hash, and sn is 0.
    if s_n != 0 {
        return Err(wrong_length());
    }
    if fr != *root1 {
        return Err(ProofError::OldRootMismatch {
            expected: *root1,
            computed: fr,
        });
    }
    if sr != *root2 {
        return Err(ProofError::RootMismatch {
            expected: *root2,
            computed: sr,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::merkle::{MemoryHashes, prove_consistency, prove_inclusion, tree_hash};

    #[test]
    fn lengths_match_generated_proofs() {
        let m = MemoryHashes::from_leaf_hashes((0..40u32).map(|i| leaf_hash(&i.to_be_bytes())));
        for size in 1..=40u64 {
            for index in 0..size {
                assert_eq!(
                    prove_inclusion(index, size, &m).unwrap().len(),
                    inclusion_proof_len(index, size)
                );
            }
            for old in 1..size {
                assert_eq!(
                    prove_consistency(old, size, &m).unwrap().len(),
                    consistency_proof_len(old, size),
                    "{old} -> {size}"
                );
            }
        }
    }

    #[test]
    fn reports_what_is_wrong() {
        let m = MemoryHashes::from_leaf_hashes((0..8u32).map(|i| leaf_hash(&i.to_be_bytes())));
        let root = tree_hash(8, &m).unwrap();
        let leaf = leaf_hash(&3u32.to_be_bytes());
        let mut proof = prove_inclusion(3, 8, &m).unwrap();
        verify_inclusion(&proof, 3, 8, &leaf, &root).unwrap();
        assert!(matches!(
            verify_inclusion(&proof, 3, 8, &leaf, &[0; 32]),
            Err(ProofError::RootMismatch { .. })
        ));
        proof.push([0; 32]);
        assert!(matches!(
            verify_inclusion(&proof, 3, 8, &leaf, &root),
            Err(ProofError::WrongProofLength {
                expected: 3,
                got: 4
            })
        ));
        assert!(matches!(
            verify_consistency(&[], 8, 8, &root, &[1; 32]),
            Err(ProofError::SameSizeDifferentRoots { size: 8, .. })
        ));
    }
}
