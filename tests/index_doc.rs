//! A second, independent implementation of the entry index, written from docs/FORMAT.md §7.6
//! alone: key hashes, list hashes, leaf and node hashes, the compressed sparse Merkle tree
//! straight from its recursive definition, proofs, their bytes and their checking. Nothing here
//! calls `tlog::map` or `ledger_core::index` to compute anything; they are the library under
//! test, and this file only compares them with what the document says.
//!
//! - `known_answers_*`: a fixed small index whose key hash, list hash, root and two proofs are
//!   printed in docs/FORMAT.md §7.6 (`UPDATE_DOCS=1 cargo test --test index_doc` rewrites them).
//! - `golden_vectors_*`: `fixtures/vectors/index/vectors.json`, made by this file
//!   (`UPDATE_GOLDEN=1 cargo test --test index_doc`, then review the diff). The library must
//!   reproduce every root and proof byte for byte, accept each proof, and refuse it for a wrong
//!   list.
//! - `library_refuses_*`: the encoding rules every reader of a proof must enforce.
//! - `random_maps_agree_with_the_library`: roots and proofs of random maps.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::PathBuf;

use ledger_core::index::{Index, IndexKey};
use ledger_core::model::{CompanyId, PartyId, Seq};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tlog::map::{ListDigest, MapProof, MapProofError, MapTree};

// ---------------------------------------------------------------------------------------------
// The index, from docs/FORMAT.md §7.6.
// ---------------------------------------------------------------------------------------------

/// A SHA-256 hash.
type Hash = [u8; 32];

/// "empty: 32 zero bytes": the hash of an empty subtree, an empty sibling and the list hash L₀.
const EMPTY: Hash = [0; 32];

/// Bits in a key hash: the deepest a subtree (and so a proof's path) can go.
const KEY_BITS: usize = 256;

/// An index as the document describes it: each key's text and its list of sequence numbers.
/// A key with an empty list is not in the map.
type Map = BTreeMap<String, Vec<u64>>;

fn sha256(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// `K = SHA-256(0x10 ‖ key text)`.
fn key_hash(text: &str) -> Hash {
    sha256(&[&[0x10], text.as_bytes()])
}

/// `L₀` = 32 zero bytes; `Lᵢ = SHA-256(0x11 ‖ Lᵢ₋₁ ‖ u64be(seqᵢ))`.
fn list_hash(values: &[u64]) -> Hash {
    values
        .iter()
        .fold(EMPTY, |l, v| sha256(&[&[0x11], &l, &v.to_be_bytes()]))
}

/// `SHA-256(0x12 ‖ K ‖ u64be(count) ‖ L_count)`.
fn leaf_hash(key: &Hash, count: u64, list: &Hash) -> Hash {
    sha256(&[&[0x12], key, &count.to_be_bytes(), list])
}

/// `SHA-256(0x13 ‖ left ‖ right)`.
fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha256(&[&[0x13], left, right])
}

/// Bit `i` of a key hash: bit 7 − (i mod 8) of byte ⌊i/8⌋, the most significant bit first.
fn bit(key: &Hash, i: usize) -> u8 {
    (key[i / 8] >> (7 - i % 8)) & 1
}

/// One key of the map as the tree holds it: its hash, its list's count and list hash.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Leaf {
    key: Hash,
    count: u64,
    list: Hash,
}

impl Leaf {
    fn of(text: &str, values: &[u64]) -> Leaf {
        Leaf {
            key: key_hash(text),
            count: values.len() as u64,
            list: list_hash(values),
        }
    }

    fn hash(&self) -> Hash {
        leaf_hash(&self.key, self.count, &self.list)
    }
}

/// The map's keys, sorted by key hash (so every subtree's keys are a run of the slice).
fn leaves(map: &Map) -> Vec<Leaf> {
    let mut out: Vec<Leaf> = map
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(text, values)| Leaf::of(text, values))
        .collect();
    out.sort_by_key(|l| l.key);
    out
}

/// The keys of a subtree at `depth` split by bit `depth`: (bit 0, bit 1).
fn split(keys: &[Leaf], depth: usize) -> (&[Leaf], &[Leaf]) {
    keys.split_at(keys.partition_point(|l| bit(&l.key, depth) == 0))
}

/// The hash of the subtree at `depth` holding `keys`: empty, a lone key's leaf hash (at any
/// depth), or the node hash of its two subtrees at `depth` + 1.
fn subtree_hash(keys: &[Leaf], depth: usize) -> Hash {
    match keys {
        [] => EMPTY,
        [one] => one.hash(),
        _ => {
            let (left, right) = split(keys, depth);
            node_hash(
                &subtree_hash(left, depth + 1),
                &subtree_hash(right, depth + 1),
            )
        }
    }
}

/// The index root: the hash of the subtree at depth 0.
fn root(map: &Map) -> Hash {
    subtree_hash(&leaves(map), 0)
}

/// What the subtree at depth t on a key's path holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Terminal {
    /// Kind 0: no key.
    Empty,
    /// Kind 1: exactly the proved key.
    Own,
    /// Kind 2: exactly one other key, sharing the proved key's first t bits.
    Other(Leaf),
}

impl Terminal {
    fn kind(&self) -> u8 {
        match self {
            Terminal::Empty => 0,
            Terminal::Own => 1,
            Terminal::Other(_) => 2,
        }
    }
}

/// A proof: the siblings s₀ … s_{t−1} from the root down, and the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Proof {
    siblings: Vec<Hash>,
    terminal: Terminal,
}

/// The proof for `text`: walk down its path, taking the other side's hash as each sibling,
/// until the subtree on the path holds no key or exactly one.
fn prove(map: &Map, text: &str) -> Proof {
    let key = key_hash(text);
    let all = leaves(map);
    let mut on_path: &[Leaf] = &all;
    let mut siblings = Vec::new();
    loop {
        let depth = siblings.len();
        let terminal = match on_path {
            [] => Terminal::Empty,
            [one] if one.key == key => Terminal::Own,
            [one] => Terminal::Other(one.clone()),
            _ => {
                let (left, right) = split(on_path, depth);
                let (mine, other) = if bit(&key, depth) == 0 {
                    (left, right)
                } else {
                    (right, left)
                };
                siblings.push(subtree_hash(other, depth + 1));
                on_path = mine;
                continue;
            }
        };
        return Proof { siblings, terminal };
    }
}

/// Whether sibling `i` is marked non-empty in a bitmap (most significant bit first).
fn bitmap_bit(bitmap: &[u8], i: usize) -> bool {
    bitmap[i / 8] & (0x80 >> (i % 8)) != 0
}

/// A proof's bytes: kind, `u16be` t, bitmap, the non-empty siblings, and for kind 2 the other
/// key, its `u64be` count and its list hash.
fn encode(proof: &Proof) -> Vec<u8> {
    let t = proof.siblings.len();
    let mut out = vec![proof.terminal.kind()];
    out.extend_from_slice(&u16::try_from(t).expect("t fits in u16").to_be_bytes());
    let mut bitmap = vec![0u8; t.div_ceil(8)];
    for (i, sibling) in proof.siblings.iter().enumerate() {
        if *sibling != EMPTY {
            bitmap[i / 8] |= 0x80 >> (i % 8);
        }
    }
    out.extend_from_slice(&bitmap);
    for sibling in proof.siblings.iter().filter(|s| **s != EMPTY) {
        out.extend_from_slice(sibling);
    }
    if let Terminal::Other(other) = &proof.terminal {
        out.extend_from_slice(&other.key);
        out.extend_from_slice(&other.count.to_be_bytes());
        out.extend_from_slice(&other.list);
    }
    out
}

/// Why a reader refuses a proof's bytes ("A reader MUST refuse …").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    KindAbove2,
    TAbove256,
    BitmapPastT,
    ZeroSibling,
    Truncated,
    TrailingBytes,
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], Refusal> {
    let (head, tail) = rest.split_at_checked(n).ok_or(Refusal::Truncated)?;
    *rest = tail;
    Ok(head)
}

fn take_array<const N: usize>(rest: &mut &[u8]) -> Result<[u8; N], Refusal> {
    let (head, tail) = rest.split_first_chunk::<N>().ok_or(Refusal::Truncated)?;
    *rest = tail;
    Ok(*head)
}

/// Reads a proof's bytes, refusing everything but the one encoding of each proof.
fn decode(bytes: &[u8]) -> Result<Proof, Refusal> {
    let mut rest = bytes;
    let [kind] = take_array::<1>(&mut rest)?;
    if kind > 2 {
        return Err(Refusal::KindAbove2);
    }
    let t = usize::from(u16::from_be_bytes(take_array(&mut rest)?));
    if t > KEY_BITS {
        return Err(Refusal::TAbove256);
    }
    let bitmap = take(&mut rest, t.div_ceil(8))?;
    if (t..bitmap.len() * 8).any(|i| bitmap_bit(bitmap, i)) {
        return Err(Refusal::BitmapPastT);
    }
    let mut siblings = Vec::with_capacity(t);
    for i in 0..t {
        if !bitmap_bit(bitmap, i) {
            siblings.push(EMPTY);
            continue;
        }
        let sibling = take_array::<32>(&mut rest)?;
        if sibling == EMPTY {
            return Err(Refusal::ZeroSibling);
        }
        siblings.push(sibling);
    }
    let terminal = match kind {
        0 => Terminal::Empty,
        1 => Terminal::Own,
        _ => Terminal::Other(Leaf {
            key: take_array(&mut rest)?,
            count: u64::from_be_bytes(take_array(&mut rest)?),
            list: take_array(&mut rest)?,
        }),
    };
    if !rest.is_empty() {
        return Err(Refusal::TrailingBytes);
    }
    Ok(Proof { siblings, terminal })
}

/// Checks the claim "the list of `text` is `claimed`" (empty: it has no entries) at `root`.
fn holds(proof: &Proof, text: &str, claimed: &[u64], root: &Hash) -> bool {
    let key = key_hash(text);
    let t = proof.siblings.len();
    if t > KEY_BITS {
        return false;
    }
    let on_path = |other: &Hash| (0..t).all(|i| bit(other, i) == bit(&key, i));
    let mut h = match &proof.terminal {
        Terminal::Empty if claimed.is_empty() => EMPTY,
        Terminal::Own if !claimed.is_empty() => {
            leaf_hash(&key, claimed.len() as u64, &list_hash(claimed))
        }
        Terminal::Other(other)
            if claimed.is_empty() && other.key != key && on_path(&other.key) && other.count > 0 =>
        {
            other.hash()
        }
        _ => return false,
    };
    for i in (0..t).rev() {
        let sibling = &proof.siblings[i];
        h = if bit(&key, i) == 0 {
            node_hash(&h, sibling)
        } else {
            node_hash(sibling, &h)
        };
    }
    h == *root
}

// ---------------------------------------------------------------------------------------------
// The library under test, driven as the ledger drives it.
// ---------------------------------------------------------------------------------------------

fn library_key(text: &str) -> Hash {
    tlog::map::key_hash(text.as_bytes())
}

/// The library's tree of `map`, filled one value at a time with the keys interleaved (value i
/// of every key before value i + 1 of any), as a log files entries.
fn library_tree(map: &Map) -> MapTree {
    let mut tree = MapTree::new();
    let longest = map.values().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for (text, values) in map {
            if let Some(value) = values.get(i) {
                tree.append(&library_key(text), *value);
            }
        }
    }
    tree
}

fn library_proof(tree: &mut MapTree, text: &str) -> Vec<u8> {
    tree.prove(&library_key(text)).to_bytes()
}

/// Whether the library, reading `bytes`, accepts "the list of `text` is `claimed`" at `root`.
fn library_holds(bytes: &[u8], text: &str, claimed: &[u64], root: &Hash) -> bool {
    let proof = MapProof::from_bytes(bytes).expect("the library reads the proof");
    proof
        .root_for(&library_key(text), &ListDigest::of(claimed))
        .is_ok_and(|r| r == *root)
}

/// The claims about `text` that must all fail when its list is `values`: one value more, one
/// fewer, absence for a present key, presence for an absent one.
fn wrong_claims(values: &[u64]) -> Vec<Vec<u64>> {
    if values.is_empty() {
        return vec![vec![0], vec![1, 2]];
    }
    let mut more = values.to_vec();
    more.push(values[values.len() - 1] + 1);
    vec![more, values[..values.len() - 1].to_vec(), Vec::new()]
}

// ---------------------------------------------------------------------------------------------
// The fixed index of the known answers.
// ---------------------------------------------------------------------------------------------

/// The known-answer index: a genesis entry (0) naming ICO and OFCOM, a designation (1), two
/// theme entries (2, 7), three disclosures naming acme-ltd (3, 5, 9) and two entries referring
/// to entry 3 (4, 6).
const FIXED: [(&str, &[u64]); 7] = [
    ("keys/ICO", &[0]),
    ("keys/OFCOM", &[0]),
    ("policies", &[0]),
    ("designations/acme-ltd", &[1]),
    ("themes", &[2, 7]),
    ("company/acme-ltd", &[3, 5, 9]),
    ("refs/3", &[4, 6]),
];

/// The present key and the absent key the known answers prove.
const MEMBER: &str = "refs/3";
const ABSENT: &str = "refs/5";

fn fixed_map() -> Map {
    FIXED
        .iter()
        .map(|(text, values)| ((*text).to_owned(), values.to_vec()))
        .collect()
}

/// The library's keys of [`FIXED`], each with the text it must have.
fn fixed_index_keys() -> Vec<(IndexKey, &'static str)> {
    let acme = || CompanyId::new("acme-ltd").expect("a company id");
    let party = |p: &str| PartyId::new(p).expect("a party id");
    vec![
        (IndexKey::Keys(party("ICO")), "keys/ICO"),
        (IndexKey::Keys(party("OFCOM")), "keys/OFCOM"),
        (IndexKey::Policies, "policies"),
        (IndexKey::Designations(acme()), "designations/acme-ltd"),
        (IndexKey::Themes, "themes"),
        (IndexKey::Company(acme()), "company/acme-ltd"),
        (IndexKey::Refs(Seq(3)), "refs/3"),
    ]
}

struct KnownAnswers {
    key_hash: Hash,
    list_hash: Hash,
    root: Hash,
    member: Proof,
    absent: Proof,
}

fn known_answers() -> KnownAnswers {
    let map = fixed_map();
    KnownAnswers {
        key_hash: key_hash(MEMBER),
        list_hash: list_hash(&[3, 5, 9]),
        root: root(&map),
        member: prove(&map, MEMBER),
        absent: prove(&map, ABSENT),
    }
}

fn join(values: &[u64]) -> String {
    values
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "kind 1, t = 5, 4 non-empty siblings, 132 bytes".
fn describe(proof: &Proof) -> String {
    let non_empty = proof.siblings.iter().filter(|s| **s != EMPTY).count();
    format!(
        "kind {}, t = {}, {non_empty} non-empty siblings, {} bytes",
        proof.terminal.kind(),
        proof.siblings.len(),
        encode(proof).len()
    )
}

/// The block docs/FORMAT.md §7.6 prints between its generated-section markers.
fn known_answers_markdown(ka: &KnownAnswers) -> String {
    let mut out = String::from("```text\nthe index (key → list)\n");
    for (text, values) in FIXED {
        out.push_str(&format!("  {text} → {}\n", join(values)));
    }
    out.push_str(&format!(
        "\nkey hash of {MEMBER}\n  {}\nlist hash of 3, 5, 9\n  {}\nindex root\n  {}\n",
        hex::encode(ka.key_hash),
        hex::encode(ka.list_hash),
        hex::encode(ka.root),
    ));
    for (what, proof) in [
        (format!("{MEMBER}, list 4, 6"), &ka.member),
        (format!("{ABSENT}, no entries"), &ka.absent),
    ] {
        out.push_str(&format!(
            "proof of {what} ({})\n  {}\n",
            describe(proof),
            hex::encode(encode(proof))
        ));
    }
    out.push_str("```\n");
    out
}

#[test]
fn known_answers_are_the_ones_docs_format_md_prints() {
    let ka = known_answers();
    common::check_generated_section(
        "docs/FORMAT.md",
        "INDEX KNOWN ANSWERS",
        &known_answers_markdown(&ka),
        "cargo test --test index_doc",
    );
    let doc = fs::read_to_string(common::root().join("docs/FORMAT.md")).expect("read FORMAT.md");
    for value in [
        hex::encode(ka.key_hash),
        hex::encode(ka.list_hash),
        hex::encode(ka.root),
        hex::encode(encode(&ka.member)),
        hex::encode(encode(&ka.absent)),
    ] {
        assert!(doc.contains(&value), "docs/FORMAT.md lacks {value}");
    }
}

#[test]
fn known_answers_match_the_library() {
    let ka = known_answers();
    assert_eq!(ka.key_hash, library_key(MEMBER));
    assert_eq!(ka.list_hash, tlog::map::list_hash(&[3, 5, 9]));
    assert_eq!(ka.member.terminal, Terminal::Own);
    assert!(matches!(
        ka.absent.terminal,
        Terminal::Empty | Terminal::Other(_)
    ));

    let mut tree = library_tree(&fixed_map());
    assert_eq!(tree.root(), ka.root);
    assert_eq!(library_proof(&mut tree, MEMBER), encode(&ka.member));
    assert_eq!(library_proof(&mut tree, ABSENT), encode(&ka.absent));
    assert!(library_holds(
        &encode(&ka.member),
        MEMBER,
        &[4, 6],
        &ka.root
    ));
    assert!(library_holds(&encode(&ka.absent), ABSENT, &[], &ka.root));
    assert!(holds(&ka.member, MEMBER, &[4, 6], &ka.root));
    assert!(holds(&ka.absent, ABSENT, &[], &ka.root));
}

#[test]
fn known_answers_match_the_ledgers_index_keys() {
    let ka = known_answers();
    let keys = fixed_index_keys();
    for (key, text) in &keys {
        assert_eq!(key.text(), *text);
        assert_eq!(key.hash(), key_hash(text), "{text}");
    }
    assert_eq!(IndexKey::Refs(Seq(5)).text(), ABSENT);

    // File entries 0 to 9 as a ledger would, each under the keys whose list holds it.
    let mut index = Index::new();
    for seq in 0..10 {
        let filed: Vec<IndexKey> = keys
            .iter()
            .filter(|(_, text)| FIXED.iter().any(|(t, v)| t == text && v.contains(&seq)))
            .map(|(key, _)| key.clone())
            .collect();
        index.add_keys(Seq(seq), &filed);
    }
    assert_eq!(index.root(), ka.root);
    let member = index.prove(&IndexKey::Refs(Seq(3))).to_bytes();
    let absent = index.prove(&IndexKey::Refs(Seq(5))).to_bytes();
    assert_eq!(member, encode(&ka.member));
    assert_eq!(absent, encode(&ka.absent));
    assert_eq!(index.get(&IndexKey::Refs(Seq(3))), ListDigest::of(&[4, 6]));
}

// ---------------------------------------------------------------------------------------------
// Golden vectors: fixtures/vectors/index/vectors.json.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Vectors {
    about: String,
    maps: Vec<MapVector>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MapVector {
    name: String,
    root: String,
    keys: Vec<KeyVector>,
    probes: Vec<ProbeVector>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KeyVector {
    key: String,
    values: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ProbeVector {
    key: String,
    present: bool,
    kind: u8,
    proof: String,
}

const ABOUT: &str = "Entry index vectors (docs/FORMAT.md §7.6): for each map, its keys and \
lists, its root, and for each probe key the proof's terminal kind and bytes (hex). Generated \
by tests/index_doc.rs from the document alone: UPDATE_GOLDEN=1 cargo test --test index_doc";

fn vectors_path() -> PathBuf {
    common::root().join("fixtures/vectors/index/vectors.json")
}

fn updating_golden() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// A simple 64-bit LCG (Knuth's MMIX constants), so the pseudo-random map is the same
/// everywhere.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// `refs/0` … `refs/199`: each with 0 to 3 entries (0: not in the map), the first 1 to 20
/// after N, each next 1 to 30 after the one before.
fn pseudo_random_map() -> Map {
    let mut lcg = Lcg(2024);
    let mut map = Map::new();
    for n in 0..200u64 {
        let len = lcg.next() % 4;
        let mut value = n + 1 + lcg.next() % 20;
        let mut values = Vec::new();
        for _ in 0..len {
            values.push(value);
            value += 1 + lcg.next() % 30;
        }
        if !values.is_empty() {
            map.insert(format!("refs/{n}"), values);
        }
    }
    map
}

/// The first two keys `refs/N` whose hashes share their first 16 bits, and the first key
/// sharing only their first 8: a path with long runs of empty siblings.
fn deep_pair() -> (String, String, String) {
    let mut seen: HashMap<[u8; 2], String> = HashMap::new();
    let (a, b) = (0u64..)
        .map(|n| format!("refs/{n}"))
        .find_map(|text| {
            let k = key_hash(&text);
            seen.insert([k[0], k[1]], text.clone())
                .map(|first| (first, text))
        })
        .expect("a pair exists");
    let ka = key_hash(&a);
    let c = (0u64..)
        .map(|n| format!("company/c{n}"))
        .find(|text| {
            let k = key_hash(text);
            k[0] == ka[0] && k[1] != ka[1]
        })
        .expect("a key exists");
    (a, b, c)
}

/// The maps of the vectors, each with its probe keys.
fn vector_maps() -> Vec<(&'static str, Map, Vec<String>)> {
    let owned = |keys: &[&str]| keys.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
    let one: Map = [("policies".to_owned(), vec![0])].into();

    let mut fixed_probes = owned(&FIXED.map(|(text, _)| text));
    fixed_probes.extend(owned(&[ABSENT, "refs/0", "company/other-co", "keys/FCA"]));

    let (a, b, c) = deep_pair();
    let pair: Map = [(a.clone(), vec![1]), (b.clone(), vec![2, 3])].into();

    let random = pseudo_random_map();
    let mut random_probes: Vec<String> =
        (0..=220).step_by(11).map(|n| format!("refs/{n}")).collect();
    random_probes.extend(owned(&["themes", "policies", "company/acme-ltd"]));
    // Absent keys mostly end in another key (kind 2); add the first two that end empty.
    random_probes.extend(
        (200u64..)
            .map(|n| format!("refs/{n}"))
            .filter(|text| prove(&random, text).terminal == Terminal::Empty)
            .take(2),
    );

    vec![
        ("empty", Map::new(), owned(&["policies", "refs/0"])),
        ("one key", one, owned(&["policies", "themes"])),
        (
            "known answers (docs/FORMAT.md §7.6)",
            fixed_map(),
            fixed_probes,
        ),
        (
            "two keys sharing 16 bits",
            pair,
            vec![a, b, c, "themes".to_owned()],
        ),
        ("pseudo-random, refs/0 to refs/199", random, random_probes),
    ]
}

/// The vectors, computed by this file's implementation.
fn make_vectors() -> Vectors {
    let maps = vector_maps()
        .into_iter()
        .map(|(name, map, probes)| MapVector {
            name: name.to_owned(),
            root: hex::encode(root(&map)),
            keys: map
                .iter()
                .map(|(key, values)| KeyVector {
                    key: key.clone(),
                    values: values.clone(),
                })
                .collect(),
            probes: probes
                .iter()
                .map(|key| {
                    let proof = prove(&map, key);
                    ProbeVector {
                        key: key.clone(),
                        present: map.contains_key(key),
                        kind: proof.terminal.kind(),
                        proof: hex::encode(encode(&proof)),
                    }
                })
                .collect(),
        })
        .collect();
    Vectors {
        about: ABOUT.to_owned(),
        maps,
    }
}

/// The vectors as JSON, one key or probe a line.
fn vectors_json(vectors: &Vectors) -> String {
    let mut out = format!(
        "{{\n  \"about\": {},\n  \"maps\": [\n",
        json(&vectors.about)
    );
    for (i, map) in vectors.maps.iter().enumerate() {
        out.push_str(&format!(
            "    {{\n      \"name\": {},\n      \"root\": {},\n",
            json(&map.name),
            json(&map.root)
        ));
        out.push_str(&json_rows("keys", &map.keys));
        out.push_str(",\n");
        out.push_str(&json_rows("probes", &map.probes));
        let comma = if i + 1 < vectors.maps.len() { "," } else { "" };
        out.push_str(&format!("\n    }}{comma}\n"));
    }
    out.push_str("  ]\n}\n");
    out
}

/// A value as compact JSON.
fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("serialise")
}

/// `"name": [` then one compact JSON object a line, then `]`.
fn json_rows<T: Serialize>(name: &str, rows: &[T]) -> String {
    if rows.is_empty() {
        return format!("      \"{name}\": []");
    }
    let lines: Vec<String> = rows
        .iter()
        .map(|r| format!("        {}", json(r)))
        .collect();
    format!("      \"{name}\": [\n{}\n      ]", lines.join(",\n"))
}

fn read_vectors() -> Vectors {
    let text = fs::read_to_string(vectors_path()).expect("read vectors.json");
    serde_json::from_str(&text).expect("parse vectors.json")
}

fn decode_hex<const N: usize>(text: &str) -> [u8; N] {
    hex::decode(text)
        .expect("hex")
        .try_into()
        .expect("the right length")
}

#[test]
fn golden_vectors_are_what_the_document_gives() {
    let text = vectors_json(&make_vectors());
    let path = vectors_path();
    if updating_golden() {
        fs::create_dir_all(path.parent().expect("a folder")).expect("create the folder");
        fs::write(&path, &text).expect("write vectors.json");
        return;
    }
    let stored = fs::read_to_string(&path).expect("read vectors.json");
    assert!(
        stored == text,
        "fixtures/vectors/index/vectors.json differs from docs/FORMAT.md §7.6; if the document \
         changed on purpose, run UPDATE_GOLDEN=1 cargo test --test index_doc and review the diff"
    );
    assert_eq!(read_vectors(), make_vectors());
}

#[test]
fn golden_vectors_cover_every_terminal_kind_and_absence() {
    let vectors = read_vectors();
    let probes = || vectors.maps.iter().flat_map(|m| &m.probes);
    for kind in 0..=2 {
        assert!(probes().any(|p| p.kind == kind), "no probe of kind {kind}");
    }
    let depth = |p: &ProbeVector| {
        let bytes = hex::decode(&p.proof).expect("hex");
        decode(&bytes).expect("a proof").siblings.len()
    };
    assert!(
        probes().any(|p| p.kind == 2 && depth(p) > 0),
        "no kind 2 below the root"
    );
    assert!(probes().any(|p| depth(p) > 16), "no path below depth 16");
    let random = vectors.maps.last().expect("maps");
    for kind in 0..=2 {
        assert!(
            random.probes.iter().any(|p| p.kind == kind),
            "random: no kind {kind}"
        );
    }
    let absent_in_range = |p: &&ProbeVector| {
        !p.present
            && p.key
                .strip_prefix("refs/")
                .and_then(|n| n.parse::<u64>().ok())
                < Some(200)
    };
    assert!(
        random.probes.iter().any(|p| absent_in_range(&p)),
        "random: no refs/N < 200 absent"
    );
}

#[test]
fn golden_vectors_library_reproduces_every_root_and_proof() {
    for map in read_vectors().maps {
        let lists: Map = map
            .keys
            .iter()
            .map(|k| (k.key.clone(), k.values.clone()))
            .collect();
        let mut tree = library_tree(&lists);
        assert_eq!(hex::encode(tree.root()), map.root, "{}", map.name);
        for probe in &map.probes {
            let bytes = library_proof(&mut tree, &probe.key);
            assert_eq!(
                hex::encode(bytes),
                probe.proof,
                "{}: {}",
                map.name,
                probe.key
            );
        }
    }
}

#[test]
fn golden_vectors_library_accepts_each_proof_and_refuses_wrong_lists() {
    for map in read_vectors().maps {
        let root: Hash = decode_hex(&map.root);
        for probe in &map.probes {
            let values = map
                .keys
                .iter()
                .find(|k| k.key == probe.key)
                .map_or(Vec::new(), |k| k.values.clone());
            assert_eq!(probe.present, !values.is_empty());
            let bytes = hex::decode(&probe.proof).expect("hex");
            let what = format!("{}: {}", map.name, probe.key);
            assert!(library_holds(&bytes, &probe.key, &values, &root), "{what}");
            let mine = decode(&bytes).expect("this file reads the proof");
            assert!(holds(&mine, &probe.key, &values, &root), "{what}");
            for wrong in wrong_claims(&values) {
                assert!(
                    !library_holds(&bytes, &probe.key, &wrong, &root),
                    "{what}: the library accepts the list {wrong:?}"
                );
                assert!(
                    !holds(&mine, &probe.key, &wrong, &root),
                    "{what}: {wrong:?}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The encoding rules: one encoding per proof.
// ---------------------------------------------------------------------------------------------

/// Both readers' verdicts on `bytes`: the library's error (if any) and this file's.
fn verdicts(bytes: &[u8]) -> (Result<MapProof, MapProofError>, Result<Proof, Refusal>) {
    (MapProof::from_bytes(bytes), decode(bytes))
}

/// Asserts both readers read `bytes`.
fn assert_read(bytes: &[u8]) {
    let (library, mine) = verdicts(bytes);
    assert!(
        library.is_ok(),
        "the library refuses {}",
        hex::encode(bytes)
    );
    assert!(mine.is_ok(), "this file refuses {}", hex::encode(bytes));
}

/// `t` as a proof's `u16be`, after terminal `kind`, then `rest`.
fn proof_bytes(kind: u8, t: u16, rest: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&t.to_be_bytes());
    out.extend_from_slice(rest);
    out
}

fn fixed_proofs() -> Vec<Vec<u8>> {
    let map = fixed_map();
    let mut texts: Vec<&str> = FIXED.iter().map(|(text, _)| *text).collect();
    texts.extend([ABSENT, "refs/0", "company/other-co", "keys/FCA"]);
    texts.iter().map(|t| encode(&prove(&map, t))).collect()
}

#[test]
fn library_refuses_a_terminal_kind_above_2() {
    for proof in fixed_proofs() {
        for kind in [3, 4, 0xff] {
            let mut bytes = proof.clone();
            bytes[0] = kind;
            let (library, mine) = verdicts(&bytes);
            assert_eq!(library, Err(MapProofError::BadTerminal(kind)));
            assert_eq!(mine, Err(Refusal::KindAbove2));
        }
    }
}

#[test]
fn library_refuses_t_above_256() {
    assert_read(&proof_bytes(0, 256, &[0; 32]));
    for t in [257u16, 300, u16::MAX] {
        let bytes = proof_bytes(0, t, &vec![0; usize::from(t).div_ceil(8)]);
        let (library, mine) = verdicts(&bytes);
        assert_eq!(library, Err(MapProofError::TooDeep(usize::from(t))));
        assert_eq!(mine, Err(Refusal::TAbove256));
    }
}

#[test]
fn library_refuses_bitmap_bits_past_t() {
    assert_read(&proof_bytes(0, 3, &[0b0000_0000]));
    let mut last_in_path = vec![0b0010_0000];
    last_in_path.extend_from_slice(&[7; 32]);
    assert_read(&proof_bytes(0, 3, &last_in_path));
    for bitmap in [0b0001_0000u8, 0b0000_0001, 0b0001_1111] {
        let (library, mine) = verdicts(&proof_bytes(0, 3, &[bitmap]));
        assert_eq!(library, Err(MapProofError::BadBitmap), "{bitmap:08b}");
        assert_eq!(mine, Err(Refusal::BitmapPastT), "{bitmap:08b}");
    }
    // A real proof whose path is not a whole number of bytes, with the last bitmap bit set.
    let proof = encode(&known_answers().member);
    let t = usize::from(u16::from_be_bytes([proof[1], proof[2]]));
    assert_ne!(t % 8, 0, "the known-answer proof's t");
    let mut bytes = proof.clone();
    bytes[3 + t.div_ceil(8) - 1] |= 1;
    let (library, mine) = verdicts(&bytes);
    assert_eq!(library, Err(MapProofError::BadBitmap));
    assert_eq!(mine, Err(Refusal::BitmapPastT));
}

#[test]
fn library_refuses_a_written_out_empty_sibling() {
    let mut one = vec![0b1000_0000];
    one.extend_from_slice(&[1; 32]);
    assert_read(&proof_bytes(0, 1, &one));
    let mut zero = vec![0b1000_0000];
    zero.extend_from_slice(&[0; 32]);
    let (library, mine) = verdicts(&proof_bytes(0, 1, &zero));
    assert_eq!(library, Err(MapProofError::ZeroSibling(0)));
    assert_eq!(mine, Err(Refusal::ZeroSibling));
    // The same in a real proof: its first written sibling zeroed.
    let proof = encode(&known_answers().member);
    let t = usize::from(u16::from_be_bytes([proof[1], proof[2]]));
    let first = 3 + t.div_ceil(8);
    let mut bytes = proof.clone();
    bytes[first..first + 32].fill(0);
    let (library, mine) = verdicts(&bytes);
    assert!(
        matches!(library, Err(MapProofError::ZeroSibling(_))),
        "{library:?}"
    );
    assert_eq!(mine, Err(Refusal::ZeroSibling));
}

#[test]
fn library_refuses_a_truncated_proof() {
    for proof in fixed_proofs() {
        assert_read(&proof);
        for len in 0..proof.len() {
            let (library, mine) = verdicts(&proof[..len]);
            assert_eq!(library, Err(MapProofError::Truncated), "{len} bytes");
            assert_eq!(mine, Err(Refusal::Truncated), "{len} bytes");
        }
    }
}

#[test]
fn library_refuses_trailing_bytes() {
    for proof in fixed_proofs() {
        for extra in [&[0u8][..], &[0, 0], &[0xff]] {
            let mut bytes = proof.clone();
            bytes.extend_from_slice(extra);
            let (library, mine) = verdicts(&bytes);
            assert_eq!(library, Err(MapProofError::TrailingBytes(extra.len())));
            assert_eq!(mine, Err(Refusal::TrailingBytes));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Random maps.
// ---------------------------------------------------------------------------------------------

fn key_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..400).prop_map(|n| format!("refs/{n}")),
        "[a-z][a-z0-9-]{0,10}".prop_map(|c| format!("company/{c}")),
        "[A-Z]{2,4}".prop_map(|p| format!("keys/{p}")),
        Just("themes".to_owned()),
        Just("policies".to_owned()),
    ]
}

fn random_map() -> impl Strategy<Value = Map> {
    prop::collection::btree_map(key_text(), prop::collection::vec(0u64..10_000, 0..4), 0..48)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_maps_agree_with_the_library(map in random_map(), absent in key_text()) {
        let expected = root(&map);
        let mut tree = library_tree(&map);
        prop_assert_eq!(tree.root(), expected);
        let mut probes: Vec<&String> = map.keys().collect();
        probes.push(&absent);
        for text in probes {
            let values = map.get(text).cloned().unwrap_or_default();
            let proof = prove(&map, text);
            let bytes = encode(&proof);
            prop_assert_eq!(library_proof(&mut tree, text), bytes.clone(), "{}", text);
            prop_assert_eq!(decode(&bytes), Ok(proof.clone()));
            prop_assert!(holds(&proof, text, &values, &expected));
            prop_assert!(library_holds(&bytes, text, &values, &expected));
        }
    }
}
