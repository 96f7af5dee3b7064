//! The map held in memory as a binary prefix (Patricia) tree: one leaf per key, one branch per
//! bit at which the keys below it part, each branch caching its hash. Appending to a key's list
//! is one hash; the root is recomputed only along the paths of keys changed since it was last
//! asked for.

use std::collections::{BTreeMap, HashMap};

use super::{
    EMPTY, KEY_BITS, ListDigest, MapProof, Terminal, bit, first_difference, leaf_hash, node_hash,
};
use crate::hash::Digest;

/// A child of a branch, or the root: a leaf or a branch, by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// Leaf number.
    Leaf(u32),
    /// Branch number.
    Branch(u32),
}

impl Node {
    fn to_u32(self) -> u32 {
        match self {
            Node::Leaf(i) => i,
            Node::Branch(b) => b | 0x8000_0000,
        }
    }

    fn from_u32(v: u32) -> Node {
        if v & 0x8000_0000 != 0 {
            Node::Branch(v & 0x7fff_ffff)
        } else {
            Node::Leaf(v)
        }
    }
}

/// One key of the map and its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// The key hash.
    pub key: Digest,
    /// Its list.
    pub list: ListDigest,
    /// In the tree (false for a key added since the last root).
    placed: bool,
    /// Listed as pending.
    pending: bool,
}

/// Bytes of a stored leaf: key hash, `u64be` count, list hash.
pub const LEAF_BYTES: usize = 72;
/// Bytes of a stored branch: hash, two children (`u32be`, top bit set for a branch), the
/// representative leaf (`u32be`), the bit (`u16be`).
pub const BRANCH_BYTES: usize = 46;

impl Leaf {
    /// The leaf's stored bytes ([`LEAF_BYTES`]).
    pub fn to_bytes(&self) -> [u8; LEAF_BYTES] {
        let mut out = [0u8; LEAF_BYTES];
        out[..32].copy_from_slice(&self.key);
        out[32..40].copy_from_slice(&self.list.count.to_be_bytes());
        out[40..].copy_from_slice(&self.list.list);
        out
    }

    /// Reads a stored leaf (one already in the tree).
    pub fn from_bytes(b: &[u8; LEAF_BYTES]) -> Leaf {
        Leaf {
            key: b[..32].try_into().expect("32 bytes"),
            list: ListDigest {
                count: u64::from_be_bytes(b[32..40].try_into().expect("8 bytes")),
                list: b[40..].try_into().expect("32 bytes"),
            },
            placed: true,
            pending: false,
        }
    }
}

/// A point where the keys below part: at `bit`, those with the bit 0 to the left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// The hash of this branch's subtree at depth `bit` (valid unless `dirty`).
    hash: Digest,
    children: [Node; 2],
    /// A leaf below, whose key gives the bits every key below shares.
    rep: u32,
    /// The bit at which the two children's keys part.
    bit: u16,
    dirty: bool,
}

impl Branch {
    /// The branch's stored bytes ([`BRANCH_BYTES`]); only a clean branch is stored.
    pub fn to_bytes(&self) -> [u8; BRANCH_BYTES] {
        debug_assert!(!self.dirty, "a branch is stored once its hash is computed");
        let mut out = [0u8; BRANCH_BYTES];
        out[..32].copy_from_slice(&self.hash);
        out[32..36].copy_from_slice(&self.children[0].to_u32().to_be_bytes());
        out[36..40].copy_from_slice(&self.children[1].to_u32().to_be_bytes());
        out[40..44].copy_from_slice(&self.rep.to_be_bytes());
        out[44..46].copy_from_slice(&self.bit.to_be_bytes());
        out
    }

    /// Reads a stored branch.
    pub fn from_bytes(b: &[u8; BRANCH_BYTES]) -> Branch {
        let u32_at = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        Branch {
            hash: b[..32].try_into().expect("32 bytes"),
            children: [Node::from_u32(u32_at(32)), Node::from_u32(u32_at(36))],
            rep: u32_at(40),
            bit: u16::from_be_bytes(b[44..46].try_into().expect("2 bytes")),
            dirty: false,
        }
    }
}

/// How many leaves and branches a map holds and where its root is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header {
    /// Leaves, numbered from 0.
    pub leaves: u32,
    /// Branches, numbered from 0.
    pub branches: u32,
    /// The root node, if the map holds any key.
    pub root: Option<Node>,
}

impl Header {
    /// The header's stored bytes: `u32be` leaves, `u32be` branches, `u32be` root (all ones
    /// for none).
    pub fn to_bytes(&self) -> [u8; 12] {
        let mut out = [0u8; 12];
        out[..4].copy_from_slice(&self.leaves.to_be_bytes());
        out[4..8].copy_from_slice(&self.branches.to_be_bytes());
        out[8..].copy_from_slice(&self.root.map_or(u32::MAX, Node::to_u32).to_be_bytes());
        out
    }

    /// Reads a stored header.
    pub fn from_bytes(b: &[u8; 12]) -> Header {
        let u32_at = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        Header {
            leaves: u32_at(0),
            branches: u32_at(4),
            root: (u32_at(8) != u32::MAX).then(|| Node::from_u32(u32_at(8))),
        }
    }
}

/// Where a [`MapTree`] keeps its nodes: in memory ([`MemoryNodes`]) or in a database. Leaves
/// and branches are numbered from 0 in the order they were added; a `put` at the next number
/// adds one.
pub trait MapStore {
    /// The storage error.
    type Error: std::error::Error + Send + Sync + 'static;
    /// Leaf `i`.
    fn leaf(&mut self, i: u32) -> Result<Leaf, Self::Error>;
    /// Writes leaf `i`.
    fn put_leaf(&mut self, i: u32, leaf: &Leaf) -> Result<(), Self::Error>;
    /// Branch `b`.
    fn branch(&mut self, b: u32) -> Result<Branch, Self::Error>;
    /// Writes branch `b`.
    fn put_branch(&mut self, b: u32, branch: &Branch) -> Result<(), Self::Error>;
    /// The leaf of a key hash, if the map holds it.
    fn find(&mut self, key: &Digest) -> Result<Option<u32>, Self::Error>;
    /// Records that `key` is leaf `i`.
    fn remember(&mut self, key: &Digest, i: u32) -> Result<(), Self::Error>;
    /// The counts and the root.
    fn header(&self) -> Header;
    /// Sets the counts and the root.
    fn set_header(&mut self, header: Header);
}

/// Nodes held in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryNodes {
    leaves: Vec<Leaf>,
    branches: Vec<Branch>,
    root: Option<Node>,
    /// Leaf by the first 8 bytes of its key hash; keys sharing those are in `clashes`.
    lookup: HashMap<u64, u32>,
    clashes: HashMap<Digest, u32>,
}

fn short(key: &Digest) -> u64 {
    u64::from_be_bytes(key[..8].try_into().expect("8 bytes"))
}

fn put<T: Clone>(v: &mut Vec<T>, i: u32, x: &T) {
    let i = i as usize;
    if i == v.len() {
        v.push(x.clone());
    } else {
        v[i] = x.clone();
    }
}

impl MapStore for MemoryNodes {
    type Error = std::convert::Infallible;

    fn leaf(&mut self, i: u32) -> Result<Leaf, Self::Error> {
        Ok(self.leaves[i as usize].clone())
    }

    fn put_leaf(&mut self, i: u32, leaf: &Leaf) -> Result<(), Self::Error> {
        put(&mut self.leaves, i, leaf);
        Ok(())
    }

    fn branch(&mut self, b: u32) -> Result<Branch, Self::Error> {
        Ok(self.branches[b as usize].clone())
    }

    fn put_branch(&mut self, b: u32, branch: &Branch) -> Result<(), Self::Error> {
        put(&mut self.branches, b, branch);
        Ok(())
    }

    fn find(&mut self, key: &Digest) -> Result<Option<u32>, Self::Error> {
        Ok(match self.lookup.get(&short(key)) {
            Some(&i) if self.leaves[i as usize].key == *key => Some(i),
            Some(_) => self.clashes.get(key).copied(),
            None => None,
        })
    }

    fn remember(&mut self, key: &Digest, i: u32) -> Result<(), Self::Error> {
        match self.lookup.entry(short(key)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.clashes.insert(*key, i);
            }
        }
        Ok(())
    }

    fn header(&self) -> Header {
        Header {
            leaves: self.leaves.len() as u32,
            branches: self.branches.len() as u32,
            root: self.root,
        }
    }

    fn set_header(&mut self, header: Header) {
        self.root = header.root;
    }
}

/// A key → ordered-list map with its root and proofs (see the [module](super) docs), its nodes
/// in a [`MapStore`]. With [`MemoryNodes`] (the default) nothing can fail, and the plain
/// methods ([`MapTree::append`], [`MapTree::root`], [`MapTree::prove`]) are offered.
#[derive(Debug, Clone, Default)]
pub struct MapTree<S: MapStore = MemoryNodes> {
    store: S,
    /// Leaves added or extended since the root was last computed.
    pending: Vec<u32>,
}

fn never<T>(r: Result<T, std::convert::Infallible>) -> T {
    match r {
        Ok(t) => t,
        Err(e) => match e {},
    }
}

impl MapTree<MemoryNodes> {
    /// An empty map in memory.
    pub fn new() -> MapTree {
        MapTree::default()
    }

    /// How many keys the map holds.
    pub fn len(&self) -> usize {
        self.store.leaves.len()
    }

    /// Whether the map holds no key.
    pub fn is_empty(&self) -> bool {
        self.store.leaves.is_empty()
    }

    /// The list of `key` (the empty list if the map does not hold it).
    pub fn get(&self, key: &Digest) -> ListDigest {
        let i = match self.store.lookup.get(&short(key)) {
            Some(&i) if self.store.leaves[i as usize].key == *key => Some(i),
            Some(_) => self.store.clashes.get(key).copied(),
            None => None,
        };
        i.map_or(ListDigest::EMPTY, |i| self.store.leaves[i as usize].list)
    }

    /// Appends `value` to the list of `key` (adding the key if it is new).
    pub fn append(&mut self, key: &Digest, value: u64) {
        never(self.try_append(key, value))
    }

    /// The map's root.
    pub fn root(&mut self) -> Digest {
        never(self.try_root())
    }

    /// A proof of `key`'s list (or of its absence) against [`MapTree::root`].
    pub fn prove(&mut self, key: &Digest) -> MapProof {
        never(self.try_prove(key))
    }

    /// Every key and its list, in the order the keys were added.
    pub fn iter(&self) -> impl Iterator<Item = (&Digest, &ListDigest)> {
        self.store.leaves.iter().map(|l| (&l.key, &l.list))
    }

    /// Every leaf and branch, numbered, once the root is computed: to save the map in a store.
    pub fn nodes(&mut self) -> (Header, &[Leaf], &[Branch]) {
        self.root();
        (
            self.store.header(),
            &self.store.leaves,
            &self.store.branches,
        )
    }
}

impl<S: MapStore> MapTree<S> {
    /// A map whose nodes are in `store` (as a previous map saved them there, or empty).
    pub fn with_store(store: S) -> MapTree<S> {
        MapTree {
            store,
            pending: Vec::new(),
        }
    }

    /// The store, to commit what the map wrote to it. Compute the root first: only a settled
    /// map's nodes are complete.
    pub fn into_store(self) -> S {
        self.store
    }

    /// The list of `key` (the empty list if the map does not hold it).
    pub fn try_get(&mut self, key: &Digest) -> Result<ListDigest, S::Error> {
        Ok(match self.store.find(key)? {
            Some(i) => self.store.leaf(i)?.list,
            None => ListDigest::EMPTY,
        })
    }

    /// Appends `value` to the list of `key` (adding the key if it is new).
    pub fn try_append(&mut self, key: &Digest, value: u64) -> Result<(), S::Error> {
        let (i, mut leaf) = match self.store.find(key)? {
            Some(i) => (i, self.store.leaf(i)?),
            None => {
                let mut h = self.store.header();
                let i = h.leaves;
                h.leaves += 1;
                self.store.set_header(h);
                self.store.remember(key, i)?;
                let leaf = Leaf {
                    key: *key,
                    list: ListDigest::EMPTY,
                    placed: false,
                    pending: false,
                };
                (i, leaf)
            }
        };
        leaf.list = leaf.list.extended(value);
        if !leaf.pending {
            leaf.pending = true;
            self.pending.push(i);
        }
        self.store.put_leaf(i, &leaf)
    }

    fn rep_key(&mut self, node: Node) -> Result<(Digest, usize), S::Error> {
        Ok(match node {
            Node::Leaf(i) => (self.store.leaf(i)?.key, KEY_BITS),
            Node::Branch(b) => {
                let br = self.store.branch(b)?;
                (self.store.leaf(br.rep)?.key, br.bit as usize)
            }
        })
    }

    /// Puts a new leaf into the tree, marking the branches above it dirty.
    fn place(&mut self, i: u32, key: &Digest) -> Result<(), S::Error> {
        let mut header = self.store.header();
        let Some(mut cur) = header.root else {
            header.root = Some(Node::Leaf(i));
            self.store.set_header(header);
            return Ok(());
        };
        let mut parent: Option<(u32, usize)> = None;
        loop {
            let (rep, cur_bit) = self.rep_key(cur)?;
            let diff = first_difference(key, &rep);
            if diff < cur_bit {
                let new = Node::Leaf(i);
                let children = if bit(key, diff) == 0 {
                    [new, cur]
                } else {
                    [cur, new]
                };
                let mut header = self.store.header();
                let b = header.branches;
                header.branches = b.checked_add(1).expect("fewer than 2^31 branches");
                self.store.put_branch(
                    b,
                    &Branch {
                        hash: EMPTY,
                        children,
                        rep: i,
                        bit: diff as u16,
                        dirty: true,
                    },
                )?;
                match parent {
                    None => header.root = Some(Node::Branch(b)),
                    Some((p, side)) => {
                        let mut pb = self.store.branch(p)?;
                        pb.children[side] = Node::Branch(b);
                        self.store.put_branch(p, &pb)?;
                    }
                }
                self.store.set_header(header);
                return Ok(());
            }
            let Node::Branch(b) = cur else {
                unreachable!("a key is placed once");
            };
            let mut br = self.store.branch(b)?;
            if !br.dirty {
                br.dirty = true;
                self.store.put_branch(b, &br)?;
            }
            let side = bit(key, cur_bit) as usize;
            parent = Some((b, side));
            cur = br.children[side];
        }
    }

    /// Marks the branches above a placed leaf dirty.
    fn touch(&mut self, key: &Digest) -> Result<(), S::Error> {
        let mut cur = self.store.header().root;
        while let Some(Node::Branch(b)) = cur {
            let mut br = self.store.branch(b)?;
            if !br.dirty {
                br.dirty = true;
                self.store.put_branch(b, &br)?;
            }
            cur = Some(br.children[bit(key, br.bit as usize) as usize]);
        }
        Ok(())
    }

    fn settle(&mut self) -> Result<(), S::Error> {
        let pending = std::mem::take(&mut self.pending);
        for i in pending {
            let mut leaf = self.store.leaf(i)?;
            leaf.pending = false;
            let placed = leaf.placed;
            leaf.placed = true;
            self.store.put_leaf(i, &leaf)?;
            if placed {
                self.touch(&leaf.key)?;
            } else {
                self.place(i, &leaf.key)?;
            }
        }
        Ok(())
    }

    /// The hash of `node`'s subtree seen from depth `depth` (at most its own bit): its own hash
    /// lifted through the levels where every key below shares the bit.
    fn hash_at(&mut self, node: Node, depth: usize) -> Result<Digest, S::Error> {
        Ok(match node {
            Node::Leaf(i) => {
                let l = self.store.leaf(i)?;
                leaf_hash(&l.key, l.list.count, &l.list.list)
            }
            Node::Branch(b) => {
                let own = self.branch_hash(b)?;
                let br = self.store.branch(b)?;
                let key = self.store.leaf(br.rep)?.key;
                lift(own, &key, br.bit as usize, depth)
            }
        })
    }

    fn branch_hash(&mut self, b: u32) -> Result<Digest, S::Error> {
        let br = self.store.branch(b)?;
        if !br.dirty {
            return Ok(br.hash);
        }
        let below = br.bit as usize + 1;
        let left = self.hash_at(br.children[0], below)?;
        let right = self.hash_at(br.children[1], below)?;
        let mut br = br;
        br.hash = node_hash(&left, &right);
        br.dirty = false;
        self.store.put_branch(b, &br)?;
        Ok(br.hash)
    }

    /// The map's root.
    pub fn try_root(&mut self) -> Result<Digest, S::Error> {
        self.settle()?;
        match self.store.header().root {
            None => Ok(EMPTY),
            Some(node) => self.hash_at(node, 0),
        }
    }

    /// A proof of `key`'s list (or of its absence) against [`MapTree::try_root`].
    pub fn try_prove(&mut self, key: &Digest) -> Result<MapProof, S::Error> {
        self.try_root()?;
        let mut siblings = Vec::new();
        let Some(mut cur) = self.store.header().root else {
            return Ok(MapProof {
                siblings,
                terminal: Terminal::Empty,
            });
        };
        loop {
            let (rep, cur_bit) = self.rep_key(cur)?;
            let diff = first_difference(key, &rep);
            match cur {
                Node::Leaf(i) if diff < KEY_BITS => {
                    // The subtree here holds one other key: the key is absent.
                    let l = self.store.leaf(i)?;
                    return Ok(MapProof {
                        siblings,
                        terminal: Terminal::Other {
                            key: l.key,
                            list: l.list,
                        },
                    });
                }
                Node::Leaf(_) => {
                    return Ok(MapProof {
                        siblings,
                        terminal: Terminal::Own,
                    });
                }
                Node::Branch(_) if diff < cur_bit => {
                    // The key leaves this subtree's shared bits at `diff`: empty from there.
                    siblings.resize(diff, EMPTY);
                    siblings.push(self.hash_at(cur, diff + 1)?);
                    return Ok(MapProof {
                        siblings,
                        terminal: Terminal::Empty,
                    });
                }
                Node::Branch(b) => {
                    siblings.resize(cur_bit, EMPTY);
                    let side = bit(key, cur_bit) as usize;
                    let children = self.store.branch(b)?.children;
                    siblings.push(self.hash_at(children[1 - side], cur_bit + 1)?);
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

    /// A store that keeps only the stored bytes of each node, as a database would, and a
    /// key → leaf table.
    #[derive(Default, Clone)]
    struct BytesStore {
        leaves: BTreeMap<u32, [u8; LEAF_BYTES]>,
        branches: BTreeMap<u32, [u8; BRANCH_BYTES]>,
        keys: BTreeMap<Digest, u32>,
        header: [u8; 12],
        /// Nodes changed but not yet clean enough to encode (a real store keeps them in its
        /// write cache until the root is computed).
        dirty_leaves: BTreeMap<u32, Leaf>,
        dirty_branches: BTreeMap<u32, Branch>,
    }

    impl MapStore for BytesStore {
        type Error = std::convert::Infallible;
        fn leaf(&mut self, i: u32) -> Result<Leaf, Self::Error> {
            Ok(self
                .dirty_leaves
                .get(&i)
                .cloned()
                .unwrap_or_else(|| Leaf::from_bytes(&self.leaves[&i])))
        }
        fn put_leaf(&mut self, i: u32, leaf: &Leaf) -> Result<(), Self::Error> {
            self.dirty_leaves.insert(i, leaf.clone());
            Ok(())
        }
        fn branch(&mut self, b: u32) -> Result<Branch, Self::Error> {
            Ok(self
                .dirty_branches
                .get(&b)
                .cloned()
                .unwrap_or_else(|| Branch::from_bytes(&self.branches[&b])))
        }
        fn put_branch(&mut self, b: u32, branch: &Branch) -> Result<(), Self::Error> {
            self.dirty_branches.insert(b, branch.clone());
            Ok(())
        }
        fn find(&mut self, key: &Digest) -> Result<Option<u32>, Self::Error> {
            Ok(self.keys.get(key).copied())
        }
        fn remember(&mut self, key: &Digest, i: u32) -> Result<(), Self::Error> {
            self.keys.insert(*key, i);
            Ok(())
        }
        fn header(&self) -> Header {
            Header::from_bytes(&self.header)
        }
        fn set_header(&mut self, header: Header) {
            self.header = header.to_bytes();
        }
    }

    impl BytesStore {
        /// Writes the changed nodes as bytes (after the root is computed).
        fn commit(&mut self) {
            for (i, l) in std::mem::take(&mut self.dirty_leaves) {
                self.leaves.insert(i, l.to_bytes());
            }
            for (b, br) in std::mem::take(&mut self.dirty_branches) {
                self.branches.insert(b, br.to_bytes());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A map saved as node bytes and reopened in later sessions gives the roots and
        /// proofs of the definition.
        #[test]
        fn a_stored_map_reopened_gives_the_same_roots(sessions in prop::collection::vec(prop::collection::vec((0u8..80, any::<u64>()), 0..40), 1..6), probe in 0u8..100) {
            let mut store = BytesStore::default();
            store.set_header(Header::default());
            let mut lists: BTreeMap<Digest, Vec<u64>> = BTreeMap::new();
            for ops in &sessions {
                let mut tree = MapTree::with_store(store);
                for (k, v) in ops {
                    let key = key_hash(&[*k]);
                    tree.try_append(&key, *v).unwrap();
                    lists.entry(key).or_default().push(*v);
                }
                let root = tree.try_root().unwrap();
                prop_assert_eq!(root, naive_root(&digests(&lists)));
                let key = key_hash(&[probe]);
                let proof = tree.try_prove(&key).unwrap();
                let claimed = lists.get(&key).map_or(ListDigest::EMPTY, |v| ListDigest::of(v));
                prop_assert_eq!(proof.root_for(&key, &claimed), Ok(root));
                store = tree.into_store();
                store.commit();
            }
        }

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
