//! Cross-checks the stored-hash Merkle code against a naive recursive RFC 9162
//! implementation written here from the RFC's definitions (§2.1.1 MTH,
//! §2.1.3.1 PATH, §2.1.4.1 PROOF/SUBPROOF), for every size 1..=64, every
//! index and every pair of sizes; and checks that roots and proofs cost one
//! storage read of O(log n) hashes.

use std::cell::RefCell;
use std::convert::Infallible;

use disclosure_ledger::hash::{Digest, leaf_hash, node_hash};
use tlog::{
    HashReader, MAX_TREE_SIZE, MemoryHashes, ProofError, empty_tree_hash, prove_consistency,
    prove_inclusion, split_stored_hash_index, stored_hash_count, stored_hash_index, stored_hashes,
    tree_hash, verify_consistency, verify_inclusion,
};

const MAX: u64 = 64;

/// Largest power of two strictly less than n (n >= 2).
fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 9162 §2.1.1 MTH.
fn mth(d: &[Digest]) -> Digest {
    match d.len() {
        0 => empty_tree_hash(),
        1 => d[0],
        n => {
            let k = split_point(n);
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

/// RFC 9162 §2.1.3.1 PATH(m, D[n]).
fn path(m: usize, d: &[Digest]) -> Vec<Digest> {
    let n = d.len();
    if n == 1 {
        return vec![];
    }
    let k = split_point(n);
    let mut p;
    if m < k {
        p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
    } else {
        p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
    }
    p
}

/// RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b).
fn subproof(m: usize, d: &[Digest], b: bool) -> Vec<Digest> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = split_point(n);
    let mut p;
    if m <= k {
        p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
    } else {
        p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
    }
    p
}

fn leaves(n: u64) -> Vec<Digest> {
    (0..n)
        .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
        .collect()
}

/// Naive roots, inclusion proofs and consistency proofs of `d[..n]` for every
/// `n` in 0..=len, computed once: `roots[n]`, `paths[n][i]`, `proofs[n][old]`.
struct Naive {
    roots: Vec<Digest>,
    paths: Vec<Vec<Vec<Digest>>>,
    proofs: Vec<Vec<Vec<Digest>>>,
}

impl Naive {
    fn new(d: &[Digest]) -> Self {
        let all = 0..=d.len();
        Self {
            roots: all.clone().map(|n| mth(&d[..n])).collect(),
            paths: all
                .clone()
                .map(|n| (0..n).map(|i| path(i, &d[..n])).collect())
                .collect(),
            proofs: all
                .map(|n| {
                    // Index 0 (no proof from the empty tree) is a placeholder.
                    std::iter::once(vec![])
                        .chain((1..=n).map(|m| subproof(m, &d[..n], true)))
                        .collect()
                })
                .collect(),
        }
    }
}

fn flip(d: &Digest, bit: usize) -> Digest {
    let mut d = *d;
    d[bit / 8] ^= 1 << (bit % 8);
    d
}

#[test]
fn roots_match_naive() {
    let d = leaves(MAX);
    let naive = Naive::new(&d);
    let m = MemoryHashes::from_leaf_hashes(d.iter().copied());
    for n in 0..=MAX {
        assert_eq!(
            tree_hash(n, &m).unwrap(),
            naive.roots[n as usize],
            "size {n}"
        );
    }
}

#[test]
fn inclusion_proofs_match_naive_and_verify() {
    let d = leaves(MAX);
    let naive = Naive::new(&d);
    let m = MemoryHashes::from_leaf_hashes(d.iter().copied());
    let mut checked = 0;
    for n in 1..=MAX {
        let root = naive.roots[n as usize];
        for i in 0..n {
            let proof = prove_inclusion(i, n, &m).unwrap();
            assert_eq!(
                proof, naive.paths[n as usize][i as usize],
                "index {i} size {n}"
            );
            let leaf = d[i as usize];
            verify_inclusion(&proof, i, n, &leaf, &root).unwrap();

            // Any other index must fail. Against another size's true root, the
            // proof verifies exactly when it is also that size's proof (e.g. the
            // proof of leaf 0 in sizes 3 and 4 is not; in sizes 5 and 6 may be).
            // (Windows around i and n keep the debug-build run short.)
            for j in i.saturating_sub(4)..(i + 5).min(n) {
                if j != i {
                    assert!(verify_inclusion(&proof, j, n, &leaf, &root).is_err());
                }
            }
            for n2 in (i + 1).max(n.saturating_sub(4))..=(n + 4).min(MAX) {
                let (r2, p2) = (
                    &naive.roots[n2 as usize],
                    &naive.paths[n2 as usize][i as usize],
                );
                let ok = verify_inclusion(&proof, i, n2, &leaf, r2).is_ok();
                assert_eq!(ok, proof == *p2, "index {i}: size {n} vs {n2}");
            }
            // A leaf or root that differs, or any change to the proof — a flipped
            // bit, a dropped, added or duplicated hash — must fail.
            assert!(verify_inclusion(&proof, i, n, &flip(&leaf, 0), &root).is_err());
            assert!(verify_inclusion(&proof, i, n, &leaf, &flip(&root, 255)).is_err());
            for k in 0..proof.len() {
                let mut p = proof.clone();
                p[k] = flip(&p[k], k % 256);
                assert!(verify_inclusion(&p, i, n, &leaf, &root).is_err());
                let mut p = proof.clone();
                p.remove(k);
                assert!(verify_inclusion(&p, i, n, &leaf, &root).is_err());
                let mut p = proof.clone();
                p.insert(k, proof[k]);
                assert!(verify_inclusion(&p, i, n, &leaf, &root).is_err());
            }
            let mut p = proof.clone();
            p.push(root);
            assert!(verify_inclusion(&p, i, n, &leaf, &root).is_err());
            checked += 1;
        }
    }
    assert_eq!(checked, MAX * (MAX + 1) / 2);
}

#[test]
fn consistency_proofs_match_naive_and_verify() {
    let d = leaves(MAX);
    let naive = Naive::new(&d);
    let m = MemoryHashes::from_leaf_hashes(d.iter().copied());
    for n in 1..=MAX {
        let root2 = naive.roots[n as usize];
        for old in 1..=n {
            let root1 = naive.roots[old as usize];
            let proof = prove_consistency(old, n, &m).unwrap();
            assert_eq!(
                proof, naive.proofs[n as usize][old as usize],
                "{old} -> {n}"
            );
            verify_consistency(&proof, old, n, &root1, &root2).unwrap();

            assert!(verify_consistency(&proof, old, n, &flip(&root1, 3), &root2).is_err());
            assert!(verify_consistency(&proof, old, n, &root1, &flip(&root2, 3)).is_err());
            if old != n {
                assert!(verify_consistency(&proof, old, n, &root2, &root1).is_err());
            }
            // With other sizes' true roots, the proof verifies exactly when it
            // is also the proof for those sizes.
            for old2 in old.saturating_sub(1).max(1)..=old + 1 {
                for n2 in old2.max(n.saturating_sub(1))..=(n + 1).min(MAX) {
                    let (a, b) = (&naive.roots[old2 as usize], &naive.roots[n2 as usize]);
                    let ok = verify_consistency(&proof, old2, n2, a, b).is_ok();
                    let same = proof == naive.proofs[n2 as usize][old2 as usize];
                    assert_eq!(ok, same, "{old} -> {n} vs {old2} -> {n2}");
                }
            }
            for k in 0..proof.len() {
                let mut p = proof.clone();
                p[k] = flip(&p[k], 7);
                assert!(verify_consistency(&p, old, n, &root1, &root2).is_err());
                let mut p = proof.clone();
                p.remove(k);
                assert!(verify_consistency(&p, old, n, &root1, &root2).is_err());
                let mut p = proof.clone();
                p.insert(k, proof[k]);
                assert!(verify_consistency(&p, old, n, &root1, &root2).is_err());
            }
            let mut p = proof.clone();
            p.push(root2);
            assert!(verify_consistency(&p, old, n, &root1, &root2).is_err());
        }
    }
}

#[test]
fn appending_one_by_one_equals_bulk_build() {
    let d = leaves(200);
    let bulk = MemoryHashes::from_leaf_hashes(d.iter().copied());
    let mut inc = MemoryHashes::new();
    for (i, leaf) in d.iter().enumerate() {
        let n = i as u64;
        let new = stored_hashes(n, leaf, &inc).unwrap();
        assert_eq!(new.len() as u32, 1 + (n + 1).trailing_zeros());
        assert_eq!(inc.0.len() as u64, stored_hash_index(0, n));
        inc.0.extend(new);
        assert_eq!(inc.0.len() as u64, stored_hash_count(n + 1));
    }
    assert_eq!(inc, bulk);
    // Each stored hash is the MTH of the complete subtree it names.
    for (index, h) in bulk.0.iter().enumerate() {
        let (level, n) = split_stored_hash_index(index as u64);
        let lo = (n << level) as usize;
        let hi = ((n + 1) << level) as usize;
        assert_eq!(*h, mth(&d[lo..hi]), "stored hash {index} = ({level}, {n})");
    }
}

/// A reader over a huge virtual tree: it answers any index with a
/// deterministic fake hash and records what it was asked.
struct CountingReader {
    size: u64,
    calls: RefCell<Vec<usize>>,
}

impl HashReader for CountingReader {
    type Error = Infallible;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Digest>, Infallible> {
        assert!(
            indexes.windows(2).all(|w| w[0] < w[1]),
            "indexes not sorted"
        );
        assert!(indexes.iter().all(|&i| i < stored_hash_count(self.size)));
        self.calls.borrow_mut().push(indexes.len());
        Ok(indexes
            .iter()
            .map(|i| leaf_hash(&i.to_be_bytes()))
            .collect())
    }
}

#[test]
fn one_read_of_log_n_hashes() {
    for size in [1u64, 2, 3, 1000, 1 << 20, (1 << 40) + 12345, MAX_TREE_SIZE] {
        let r = CountingReader {
            size,
            calls: RefCell::new(Vec::new()),
        };
        let log2 = 64 - size.leading_zeros() as usize;
        let bound = 2 * log2 + 2;
        tree_hash(size, &r).unwrap();
        prove_inclusion(size / 3, size, &r).unwrap();
        prove_inclusion(size - 1, size, &r).unwrap();
        if size > 1 {
            prove_consistency(size / 2, size, &r).unwrap();
            prove_consistency(size - 1, size, &r).unwrap();
        }
        let calls = r.calls.borrow();
        assert!(calls.len() <= 5, "size {size}: {} reads", calls.len());
        for &n in calls.iter() {
            assert!(n <= bound, "size {size}: read {n} hashes, bound {bound}");
        }
    }
}

#[test]
fn oversized_trees_are_refused() {
    let m = MemoryHashes::new();
    assert!(matches!(
        tree_hash(MAX_TREE_SIZE + 1, &m),
        Err(ProofError::TreeTooLarge { .. })
    ));
    assert!(matches!(
        stored_hashes(MAX_TREE_SIZE, &[0; 32], &m),
        Err(ProofError::TreeTooLarge { .. })
    ));
    // Verification has no such limit: it needs no storage indexes.
    assert!(matches!(
        verify_inclusion(&[], u64::MAX - 1, u64::MAX, &[0; 32], &[0; 32]),
        Err(ProofError::WrongProofLength { .. })
    ));
}
