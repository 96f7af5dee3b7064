//! The map held in memory as a binary prefix (Patricia) tree: one leaf per key, one branch per
//! bit at which the keys below it part, each branch caching its hash. Appending to a key's list
//! is one hash; the root is recomputed only along the paths of keys changed since it was last
//! asked for.

use std::collections::{BTreeMap, HashMap};

use super::{
    EMPTY, KEY_BITS, ListDigest, MapProof, Terminal, bit, first_difference, leaf_hash, node_hash,
};
use crate::hash::Digest;

/// A child of a branch, or the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Leaf(u32),
    Branch(u32),
}

#[derive(Debug, Clone)]
struct Leaf {
    key: Digest,
    list: ListDigest,
    /// In the tree (false for a key added since the last root).
    placed: bool,
    /// Listed in `pending`.
    pending: bool,
}

#[derive(Debug, Clone)]
struct Branch {
    /// The hash of this branch's subtree at depth `bit` (valid unless `dirty`).
    hash: Digest,
    children: [Node; 2],
    /// A leaf below, whose key gives the bits every key below shares.
    rep: u32,
    /// The bit at which the two children's keys part.
    bit: u16,
    dirty: bool,
}

/// A key → ordered-list map with its root and proofs (see the [module](super) docs).
#[derive(Debug, Clone, Default)]
pub struct MapTree {
    leaves: Vec<Leaf>,
    branches: Vec<Branch>,
    root: Option<Node>,
    /// Leaf by the first 8 bytes of its key hash; keys sharing those are in `clashes`.
    lookup: HashMap<u64, u32>,
    clashes: HashMap<Digest, u32>,
    /// Leaves added or extended since the root was last computed.
    pending: Vec<u32>,
}

fn short(key: &Digest) -> u64 {
    u64::from_be_bytes(key[..8].try_into().expect("8 bytes"))
}

impl MapTree {
    /// An empty map.
    pub fn new() -> MapTree {
        MapTree::default()
    }

    /// How many keys the map holds.
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    /// Whether the map holds no key.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    fn find(&self, key: &Digest) -> Option<u32> {
        match self.lookup.get(&short(key)) {
            Some(&i) if self.leaves[i as usize].key == *key => Some(i),
            Some(_) => self.clashes.get(key).copied(),
            None => None,
        }
    }

    /// The list of `key` (the empty list if the map does not hold it).
    pub fn get(&self, key: &Digest) -> ListDigest {
        self.find(key)
            .map_or(ListDigest::EMPTY, |i| self.leaves[i as usize].list)
    }

    /// Appends `value` to the list of `key` (adding the key if it is new).
    pub fn append(&mut self, key: &Digest, value: u64) {
        let i = match self.find(key) {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.leaves.len()).expect("fewer than 2^32 keys");
                self.leaves.push(Leaf {
                    key: *key,
                    list: ListDigest::EMPTY,
                    placed: false,
                    pending: false,
                });
                match self.lookup.entry(short(key)) {
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(i);
                    }
                    std::collections::hash_map::Entry::Occupied(_) => {
                        self.clashes.insert(*key, i);
                    }
                }
                i
            }
        };
        let leaf = &mut self.leaves[i as usize];
        leaf.list = leaf.list.extended(value);
        if !leaf.pending {
            leaf.pending = true;
            self.pending.push(i);
        }
    }

    /// Sets the list of a key not yet in the map (rebuilding a map from stored leaves).
    /// Returns false, changing nothing, if the key is already there.
    pub fn insert(&mut self, key: &Digest, list: ListDigest) -> bool {
        if self.find(key).is_some() || list.count == 0 {
            return false;
        }
        self.append(key, 0);
        let i = self.find(key).expect("just added");
        self.leaves[i as usize].list = list;
        true
    }

    /// Every key and its list, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Digest, &ListDigest)> {
        self.leaves.iter().map(|l| (&l.key, &l.list))
    }

    fn rep_key(&self, node: Node) -> (&Digest, usize) {
        match node {
            Node::Leaf(i) => (&self.leaves[i as usize].key, KEY_BITS),
            Node::Branch(b) => {
                let br = &self.branches[b as usize];
                (&self.leaves[br.rep as usize].key, br.bit as usize)
            }
        }
    }

    /// Puts a new leaf into the tree, marking the branches above it dirty.
    fn place(&mut self, i: u32) {
        let key = self.leaves[i as usize].key;
        self.leaves[i as usize].placed = true;
        let Some(mut cur) = self.root else {
            self.root = Some(Node::Leaf(i));
            return;
        };
        let mut parent: Option<(u32, usize)> = None;
        loop {
            let (rep, cur_bit) = self.rep_key(cur);
            let diff = first_difference(&key, rep);
            if diff < cur_bit {
                let new = Node::Leaf(i);
                let children = if bit(&key, diff) == 0 {
                    [new, cur]
                } else {
                    [cur, new]
                };
                let b = u32::try_from(self.branches.len()).expect("fewer than 2^32 branches");
                self.branches.push(Branch {
                    hash: EMPTY,
                    children,
                    rep: i,
                    bit: diff as u16,
                    dirty: true,
                });
                match parent {
                    None => self.root = Some(Node::Branch(b)),
                    Some((p, side)) => self.branches[p as usize].children[side] = Node::Branch(b),
                }
                return;
            }
            let Node::Branch(b) = cur else {
                unreachable!("a key is placed once");
            };
            let br = &mut self.branches[b as usize];
            br.dirty = true;
            let side = bit(&key, cur_bit) as usize;
            parent = Some((b, side));
            cur = br.children[side];
        }
    }

    /// Marks the branches above a placed leaf dirty.
    fn touch(&mut self, i: u32) {
        let key = self.leaves[i as usize].key;
        let mut cur = self.root;
        while let Some(Node::Branch(b)) = cur {
            let br = &mut self.branches[b as usize];
            br.dirty = true;
            cur = Some(br.children[bit(&key, br.bit as usize) as usize]);
        }
    }

    fn settle(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for i in pending {
            let leaf = &mut self.leaves[i as usize];
            leaf.pending = false;
            if leaf.placed {
                self.touch(i);
            } else {
                self.place(i);
            }
        }
    }

    /// The hash of `node`'s subtree seen from depth `depth` (at most its own bit): its own hash
    /// lifted through the levels where every key below shares the bit.
    fn hash_at(&mut self, node: Node, depth: usize) -> Digest {
        match node {
            Node::Leaf(i) => {
                let l = &self.leaves[i as usize];
                leaf_hash(&l.key, l.list.count, &l.list.list)
            }
            Node::Branch(b) => {
                let own = self.branch_hash(b);
                let br = &self.branches[b as usize];
                let key = self.leaves[br.rep as usize].key;
                lift(own, &key, br.bit as usize, depth)
            }
        }
    }

    fn branch_hash(&mut self, b: u32) -> Digest {
        let br = &self.branches[b as usize];
        if !br.dirty {
            return br.hash;
        }
        let (children, below) = (br.children, br.bit as usize + 1);
        let left = self.hash_at(children[0], below);
        let right = self.hash_at(children[1], below);
        let br = &mut self.branches[b as usize];
        br.hash = node_hash(&left, &right);
        br.dirty = false;
        br.hash
    }

    /// The map's root.
    pub fn root(&mut self) -> Digest {
        self.settle();
        match self.root {
            None => EMPTY,
            Some(node) => self.hash_at(node, 0),
        }
    }

    /// A proof of `key`'s list (or of its absence) against [`MapTree::root`].
    pub fn prove(&mut self, key: &Digest) -> MapProof {
        self.settle();
        let mut siblings = Vec::new();
        let Some(mut cur) = self.root else {
            return MapProof {
                siblings,
                terminal: Terminal::Empty,
            };
        };
        loop {
            let (rep, cur_bit) = self.rep_key(cur);
            let diff = first_difference(key, rep);
            match cur {
                Node::Leaf(i) if diff < KEY_BITS => {
                    // The subtree here holds one other key: the key is absent.
                    let l = &self.leaves[i as usize];
                    return MapProof {
                        siblings,
                        terminal: Terminal::Other {
                            key: l.key,
                            list: l.list,
                        },
                    };
                }
                Node::Leaf(_) => {
                    return MapProof {
                        siblings,
                        terminal: Terminal::Own,
                    };
                }
                Node::Branch(_) if diff < cur_bit => {
                    // The key leaves this subtree's shared bits at `diff`: empty from there.
                    siblings.resize(diff, EMPTY);
                    siblings.push(self.hash_at(cur, diff + 1));
                    return MapProof {
                        siblings,
                        terminal: Terminal::Empty,
                    };
                }
                Node::Branch(b) => {
                    siblings.resize(cur_bit, EMPTY);
                    let side = bit(key, cur_bit) as usize;
                    let children = self.branches[b as usize].children;
                    siblings.push(self.hash_at(children[1 - side], cur_bit + 1));
                    cur = children[side];
                }
            }
        }
    }
}

/// A subtree hash at depth `from` lifted to depth `to` (≤ `from`) through levels that hold only
/// that subtree, on the side `key`'s bits give.
fn lift(mut h: Digest, key: &Digest, from: usize, to: usize) -> Digest {
    for level in (to..from).rev() {
        h = if bit(key, level) == 0 {
            node_hash(&h, &EMPTY)
        } else {
            node_hash(&EMPTY, &h)
        };
    }
    h
}

/// The root of a map given in full, straight from the definition (a test oracle and the
/// reference for docs/FORMAT.md; O(n log n)).
pub fn naive_root(map: &BTreeMap<Digest, ListDigest>) -> Digest {
    let keys: Vec<(&Digest, &ListDigest)> = map.iter().filter(|(_, l)| l.count > 0).collect();
    subtree(&keys, 0)
}

fn subtree(keys: &[(&Digest, &ListDigest)], depth: usize) -> Digest {
    match keys {
        [] => EMPTY,
        [(k, l)] => leaf_hash(k, l.count, &l.list),
        _ => {
            let split = keys.partition_point(|(k, _)| bit(k, depth) == 0);
            node_hash(
                &subtree(&keys[..split], depth + 1),
                &subtree(&keys[split..], depth + 1),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ListDigest, key_hash};
    use super::*;
    use proptest::prelude::*;

    fn model(ops: &[(u8, u64)]) -> (MapTree, BTreeMap<Digest, Vec<u64>>) {
        let mut tree = MapTree::new();
        let mut lists: BTreeMap<Digest, Vec<u64>> = BTreeMap::new();
        for (k, v) in ops {
            let key = key_hash(&[*k]);
            tree.append(&key, *v);
            lists.entry(key).or_default().push(*v);
        }
        (tree, lists)
    }

    fn digests(lists: &BTreeMap<Digest, Vec<u64>>) -> BTreeMap<Digest, ListDigest> {
        lists.iter().map(|(k, v)| (*k, ListDigest::of(v))).collect()
    }

    #[test]
    fn empty_map_and_single_key() {
        let mut t = MapTree::new();
        assert_eq!(t.root(), EMPTY);
        let k = key_hash(b"refs/1");
        assert_eq!(t.prove(&k).root_for(&k, &ListDigest::EMPTY), Ok(EMPTY));
        t.append(&k, 7);
        assert_eq!(t.root(), leaf_hash(&k, 1, &ListDigest::of(&[7]).list));
    }

    #[test]
    fn keys_sharing_a_long_prefix_are_lifted_level_by_level() {
        // Two keys that part only at bit 255: the root is 255 lifts of one node.
        let a = [0u8; 32];
        let mut b = [0u8; 32];
        b[31] = 1;
        let mut t = MapTree::new();
        t.append(&a, 1);
        t.append(&b, 2);
        let mut m = BTreeMap::new();
        m.insert(a, ListDigest::of(&[1]));
        m.insert(b, ListDigest::of(&[2]));
        assert_eq!(t.root(), naive_root(&m));
        let p = t.prove(&b);
        assert_eq!(p.siblings.len(), 256);
        assert_eq!(p.root_for(&b, &ListDigest::of(&[2])), Ok(naive_root(&m)));
        let mut c = [0u8; 32];
        c[0] = 0x80;
        let p = t.prove(&c);
        assert_eq!(p.siblings.len(), 1);
        assert_eq!(p.root_for(&c, &ListDigest::EMPTY), Ok(naive_root(&m)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The incremental root equals the definition's after any sequence of appends, with
        /// roots asked for at arbitrary points in between.
        #[test]
        fn root_matches_the_definition(ops in prop::collection::vec((any::<u8>(), any::<u64>(), any::<bool>()), 0..300)) {
            let mut tree = MapTree::new();
            let mut lists: BTreeMap<Digest, Vec<u64>> = BTreeMap::new();
            for (k, v, ask) in &ops {
                let key = key_hash(&[*k]);
                tree.append(&key, *v);
                lists.entry(key).or_default().push(*v);
                if *ask {
                    prop_assert_eq!(tree.root(), naive_root(&digests(&lists)));
                }
            }
            prop_assert_eq!(tree.root(), naive_root(&digests(&lists)));
        }

        /// Every key's membership proof and every absent key's non-membership proof give the
        /// root; a wrong list, or a present key claimed absent, does not.
        #[test]
        fn proofs_hold_exactly(ops in prop::collection::vec((0u8..64, any::<u64>()), 0..200), probe in 0u8..128) {
            let (mut tree, lists) = model(&ops);
            let root = naive_root(&digests(&lists));
            let key = key_hash(&[probe]);
            let proof = tree.prove(&key);
            let bytes = proof.to_bytes();
            prop_assert_eq!(MapProof::from_bytes(&bytes), Ok(proof.clone()));
            match lists.get(&key) {
                Some(values) => {
                    prop_assert_eq!(proof.root_for(&key, &ListDigest::of(values)), Ok(root));
                    let mut fewer = values.clone();
                    fewer.pop();
                    let r = proof.root_for(&key, &ListDigest::of(&fewer));
                    prop_assert!(r != Ok(root));
                    let mut more = values.clone();
                    more.push(1);
                    prop_assert!(proof.root_for(&key, &ListDigest::of(&more)) != Ok(root));
                }
                None => {
                    prop_assert_eq!(proof.root_for(&key, &ListDigest::EMPTY), Ok(root));
                    prop_assert!(proof.root_for(&key, &ListDigest::of(&[1])) != Ok(root));
                }
            }
            // A proof for one key proves nothing about another.
            let other = key_hash(&[probe.wrapping_add(1)]);
            if lists.contains_key(&key) != lists.contains_key(&other) || lists.contains_key(&key) {
                let claimed = lists.get(&other).map_or(ListDigest::EMPTY, |v| ListDigest::of(v));
                prop_assert!(proof.root_for(&other, &claimed) != Ok(root) || lists.is_empty());
            }
        }

        /// Every byte string either fails to read or reads back to the same bytes.
        #[test]
        fn proof_encoding_is_canonical(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(p) = MapProof::from_bytes(&bytes) {
                prop_assert_eq!(p.to_bytes(), bytes);
            }
        }
    }
}
