//! Stored hash index arithmetic (Go `tlog.StoredHashIndex` and friends).
//!
//! The hash of the complete subtree at `level` with ordinal `n` (covering
//! leaves `n·2^level .. (n+1)·2^level`) is stored right after the hash of
//! level `level-1`, ordinal `2n+1`; level-0 ordinal `n` sits at
//! `n + n/2 + n/4 + …`. So appending a record writes its leaf hash and then
//! the hashes of the subtrees it completes, and nothing is ever rewritten.

/// The largest tree (in leaves) that the index arithmetic supports: 2^62.
///
/// Stored hash indexes of such a tree stay below 2^63, so no computation in
/// this crate can overflow a `u64`.
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// Number of stored hashes of a tree of [`MAX_TREE_SIZE`] leaves.
const MAX_STORED_HASH_COUNT: u64 = stored_hash_count(MAX_TREE_SIZE);

/// Maps tree coordinates `(level, n)` to a stored hash index.
///
/// `level` 0 are leaf hashes; the `n`-th hash of `level` covers leaves
/// `n·2^level .. (n+1)·2^level`. Equivalent to Go `tlog.StoredHashIndex`.
///
/// # Panics
///
/// If the node lies beyond a tree of [`MAX_TREE_SIZE`] leaves, i.e. unless
/// `level < 63` and `n < 2^(62-level)`.
pub const fn stored_hash_index(level: u32, n: u64) -> u64 {
    assert!(
        level <= 62 && n < (MAX_TREE_SIZE >> level),
        "stored_hash_index: node beyond MAX_TREE_SIZE"
    );
    // Level L's n-th hash is written right after level L-1's (2n+1)-th hash.
    let mut n = n;
    let mut l = level;
    while l > 0 {
        n = 2 * n + 1;
        l -= 1;
    }
    // Level 0's n-th hash is written at n + n/2 + n/4 + ...
    let mut i = 0;
    while n > 0 {
        i += n;
        n >>= 1;
    }
    i + level as u64
}

/// The inverse of [`stored_hash_index`]: returns `(level, n)`.
///
/// Equivalent to Go `tlog.SplitStoredHashIndex`.
///
/// # Panics
///
/// If `index >= stored_hash_count(MAX_TREE_SIZE)`.
pub const fn split_stored_hash_index(index: u64) -> (u32, u64) {
    assert!(
        index < MAX_STORED_HASH_COUNT,
        "split_stored_hash_index: index beyond MAX_TREE_SIZE"
    );
    // stored_hash_index(0, n) < 2n, so the record we want is in
    // [index/2, index/2 + log2(index)].
    let mut n = index / 2;
    let mut index_n = stored_hash_index(0, n);
    assert!(index_n <= index, "split_stored_hash_index: bad math");
    loop {
        // Each record n adds 1 + trailing_zeros(n+1) hashes.
        let x = index_n + 1 + (n + 1).trailing_zeros() as u64;
        if x > index {
            break;
        }
        n += 1;
        index_n = x;
    }
    // The hash we want was stored with record n: it is one of
    // (0, n), (1, n/2), (2, n/4), ...
    let level = (index - index_n) as u32;
    (level, n >> level)
}

/// Number of stored hashes a tree of `n` records has.
///
/// Equivalent to Go `tlog.StoredHashCount`.
///
/// # Panics
///
/// If `n > MAX_TREE_SIZE`.
pub const fn stored_hash_count(n: u64) -> u64 {
    assert!(
        n <= MAX_TREE_SIZE,
        "stored_hash_count: size beyond MAX_TREE_SIZE"
    );
    if n == 0 {
        return 0;
    }
    // The hashes up to the last leaf hash, and those of every subtree that
    // leaf completes.
    stored_hash_index(0, n - 1) + 1 + (n - 1).trailing_ones() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_indexes_match_go() {
        // From Go tlog's layout: record 0 -> [0]; record 1 -> [1, 2 = (1,0)];
        // record 2 -> [3]; record 3 -> [4, 5 = (1,1), 6 = (2,0)].
        assert_eq!(stored_hash_index(0, 0), 0);
        assert_eq!(stored_hash_index(0, 1), 1);
        assert_eq!(stored_hash_index(1, 0), 2);
        assert_eq!(stored_hash_index(0, 2), 3);
        assert_eq!(stored_hash_index(0, 3), 4);
        assert_eq!(stored_hash_index(1, 1), 5);
        assert_eq!(stored_hash_index(2, 0), 6);
        assert_eq!(stored_hash_index(0, 4), 7);
    }

    #[test]
    fn split_inverts_index() {
        for level in 0..10u32 {
            for n in 0..300u64 {
                let i = stored_hash_index(level, n);
                assert_eq!(
                    split_stored_hash_index(i),
                    (level, n),
                    "level {level} n {n}"
                );
            }
        }
    }

    #[test]
    fn dense_layout() {
        // Every index below stored_hash_count(n) belongs to exactly one node.
        let mut seen = vec![false; stored_hash_count(1000) as usize];
        for level in 0..11u32 {
            for n in 0..(1000u64 >> level) {
                let i = stored_hash_index(level, n) as usize;
                assert!(!seen[i], "index {i} used twice");
                seen[i] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn counts() {
        assert_eq!(stored_hash_count(0), 0);
        assert_eq!(stored_hash_count(1), 1);
        assert_eq!(stored_hash_count(2), 3);
        assert_eq!(stored_hash_count(3), 4);
        assert_eq!(stored_hash_count(4), 7);
        for n in 1..500u64 {
            assert_eq!(stored_hash_count(n), stored_hash_index(0, n));
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let last = stored_hash_count(MAX_TREE_SIZE) - 1;
        assert_eq!(split_stored_hash_index(last), (62, 0));
        assert_eq!(stored_hash_index(62, 0), last);
        assert_eq!(
            split_stored_hash_index(stored_hash_index(0, MAX_TREE_SIZE - 1)),
            (0, MAX_TREE_SIZE - 1)
        );
    }
}
