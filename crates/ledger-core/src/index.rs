//! The ledger's authenticated index (docs/FORMAT.md §7.6): for each index key — "what refers
//! to entry N", "the disclosures naming company C", "the key changes of party P", "the
//! designation entries of company C", "the theme entries", "the policy entries" — the exact
//! ordered list of the sequence numbers filed under it. Its root is a line of every checkpoint,
//! so a signed and cosigned checkpoint proves not only that an entry is in the log but that no
//! other entry of a kind is: the ground of every "None" an evidence bundle or a dossier states.
//!
//! Which keys an entry is filed under is a function of the entry alone ([`keys_of`]); the map
//! itself is [`tlog::map`].

use tlog::Digest;
use tlog::map::{ListDigest, MapProof, MapTree, key_hash};

use crate::model::{Body, CompanyId, Entry, PartyId, Seq};

/// The prefix of the checkpoint extension line that carries the index root:
/// `dledger-index/v1 <base64 root>`.
pub const INDEX_LINE_PREFIX: &str = "dledger-index/v1 ";

/// What one list of the index is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IndexKey {
    /// `refs/N`: every entry that refers to entry N — acknowledgements, corrections,
    /// confirmations, dispositions, erasures.
    Refs(Seq),
    /// `company/C`: every disclosure, correction with a replacement, and refusal naming C.
    Company(CompanyId),
    /// `designations/C`: every designation proposal, confirmation and ending of C.
    Designations(CompanyId),
    /// `keys/P`: the genesis entry and every key added, rotated or revoked for party P.
    Keys(PartyId),
    /// `themes`: every theme declared or retired.
    Themes,
    /// `policies`: the genesis entry and every policy adopted.
    Policies,
}

impl IndexKey {
    /// The key's text, the bytes hashed to place it in the map.
    pub fn text(&self) -> String {
        match self {
            IndexKey::Refs(s) => format!("refs/{}", s.0),
            IndexKey::Company(c) => format!("company/{c}"),
            IndexKey::Designations(c) => format!("designations/{c}"),
            IndexKey::Keys(p) => format!("keys/{p}"),
            IndexKey::Themes => "themes".to_owned(),
            IndexKey::Policies => "policies".to_owned(),
        }
    }

    /// Reads a key's text back; `None` for text that is no index key (or names a malformed
    /// id, or a number with leading zeros).
    pub fn parse(text: &str) -> Option<IndexKey> {
        let key = match text.split_once('/') {
            None if text == "themes" => IndexKey::Themes,
            None if text == "policies" => IndexKey::Policies,
            Some(("refs", n)) => {
                let ok = !n.is_empty()
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && (n == "0" || !n.starts_with('0'));
                IndexKey::Refs(Seq(n.parse().ok().filter(|_| ok)?))
            }
            Some(("company", c)) => IndexKey::Company(CompanyId::new(c).ok()?),
            Some(("designations", c)) => IndexKey::Designations(CompanyId::new(c).ok()?),
            Some(("keys", p)) => IndexKey::Keys(PartyId::new(p).ok()?),
            _ => return None,
        };
        Some(key)
    }

    /// Where the key lives in the map: `SHA-256(0x10 ‖ text)` (computed without building the
    /// text: this runs for every entry `verify` reads).
    pub fn hash(&self) -> Digest {
        use tlog::map::key_hash_parts;
        match self {
            IndexKey::Refs(s) => {
                let mut digits = [0u8; 20];
                let mut n = s.0;
                let mut i = digits.len();
                loop {
                    i -= 1;
                    digits[i] = b'0' + (n % 10) as u8;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                key_hash_parts(&[b"refs/", &digits[i..]])
            }
            IndexKey::Company(c) => key_hash_parts(&[b"company/", c.as_str().as_bytes()]),
            IndexKey::Designations(c) => key_hash_parts(&[b"designations/", c.as_str().as_bytes()]),
            IndexKey::Keys(p) => key_hash_parts(&[b"keys/", p.as_str().as_bytes()]),
            IndexKey::Themes => key_hash(b"themes"),
            IndexKey::Policies => key_hash(b"policies"),
        }
    }

    /// What the list holds, in plain words.
    pub fn describe(&self) -> String {
        match self {
            IndexKey::Refs(s) => format!("the entries that refer to entry {s}"),
            IndexKey::Company(c) => format!("the disclosures and refusals naming {c}"),
            IndexKey::Designations(c) => format!("the designation entries of {c}"),
            IndexKey::Keys(p) => format!("the key entries of {p}"),
            IndexKey::Themes => "the theme entries".to_owned(),
            IndexKey::Policies => "the policy entries".to_owned(),
        }
    }
}

impl std::fmt::Display for IndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// The index keys an entry is filed under, each once.
pub fn keys_of(entry: &Entry) -> Vec<IndexKey> {
    let mut keys: Vec<IndexKey> = entry
        .body
        .references()
        .into_iter()
        .map(IndexKey::Refs)
        .collect();
    match &entry.body {
        Body::Genesis(g) => {
            keys.extend(g.parties.iter().map(|p| IndexKey::Keys(p.id.clone())));
            keys.push(IndexKey::Policies);
        }
        Body::KeyAdded(k) => keys.push(IndexKey::Keys(k.party.clone())),
        Body::KeyRotated(k) => keys.push(IndexKey::Keys(k.party.clone())),
        Body::KeyRevoked(k) => keys.push(IndexKey::Keys(k.party.clone())),
        Body::PolicyAdopted(_) => keys.push(IndexKey::Policies),
        Body::ThemeDeclared(_) | Body::ThemeRetired(_) => keys.push(IndexKey::Themes),
        Body::DesignationProposed(d) => keys.push(IndexKey::Designations(d.company.id.clone())),
        Body::DesignationConfirmed(d) => keys.push(IndexKey::Designations(d.company.clone())),
        Body::DesignationEnded(d) => keys.push(IndexKey::Designations(d.company.clone())),
        Body::Disclosure(d) => {
            keys.extend(
                d.category
                    .companies()
                    .iter()
                    .map(|c| IndexKey::Company(c.id.clone())),
            );
        }
        Body::Correction(c) => {
            if let Some(d) = &c.replacement {
                keys.extend(
                    d.category
                        .companies()
                        .iter()
                        .map(|c| IndexKey::Company(c.id.clone())),
                );
            }
        }
        // Filed under `refs/` of what they refer to (above), and nothing else.
        Body::Acknowledgement(_) | Body::Confirmed(_) | Body::Disposition(_) | Body::Erasure(_) => {
        }
        Body::Refusal(r) => {
            keys.extend(r.companies.iter().map(|c| IndexKey::Company(c.id.clone())));
        }
    }
    // Each key once (an entry names a handful at most).
    let mut once: Vec<IndexKey> = Vec::with_capacity(keys.len());
    for k in keys {
        if !once.contains(&k) {
            once.push(k);
        }
    }
    once
}

/// The key hashes an entry is filed under ([`keys_of`], hashed): what `verify` computes on all
/// cores while it reads, so that filing the entry in order is one list hash per key.
pub fn key_hashes_of(entry: &Entry) -> Vec<Digest> {
    keys_of(entry).iter().map(IndexKey::hash).collect()
}

/// The index of a log, built entry by entry.
#[derive(Debug, Clone, Default)]
pub struct Index {
    map: MapTree,
    size: u64,
}

impl Index {
    /// The index of the empty log.
    pub fn new() -> Index {
        Index::default()
    }

    /// Files the next entry (it must be entry number [`Index::size`]).
    pub fn add(&mut self, entry: &Entry) {
        self.add_keys(entry.seq, &keys_of(entry));
    }

    /// Files entry `seq` under the keys whose hashes are `hashes` ([`key_hashes_of`]).
    pub fn add_hashes(&mut self, seq: Seq, hashes: &[Digest]) {
        for h in hashes {
            self.map.append(h, seq.0);
        }
        self.size = seq.0 + 1;
    }

    /// Files entry `seq` under `keys` (what [`keys_of`] gives for it).
    pub fn add_keys(&mut self, seq: Seq, keys: &[IndexKey]) {
        for k in keys {
            self.map.append(&k.hash(), seq.0);
        }
        self.size = seq.0 + 1;
    }

    /// Counts an entry that could not be read (it is filed under no key; the log is damaged and
    /// verify says so).
    pub fn skip(&mut self, seq: Seq) {
        self.size = seq.0 + 1;
    }

    /// How many entries have been filed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// How many keys the index holds.
    pub fn keys(&self) -> usize {
        self.map.len()
    }

    /// The index root over the entries filed so far.
    pub fn root(&mut self) -> Digest {
        self.map.root()
    }

    /// Every leaf and branch of the map, numbered, with its header (the root is computed
    /// first): to save the index in a ledger-store file.
    pub fn nodes(&mut self) -> (tlog::map::Header, &[tlog::map::Leaf], &[tlog::map::Branch]) {
        self.map.nodes()
    }

    /// The list digest of `key`.
    pub fn get(&self, key: &IndexKey) -> ListDigest {
        self.map.get(&key.hash())
    }

    /// A proof of `key`'s list against [`Index::root`].
    pub fn prove(&mut self, key: &IndexKey) -> MapProof {
        self.map.prove(&key.hash())
    }
}

/// The checkpoint extension line carrying `root`.
pub fn index_line(root: &Digest) -> String {
    use base64::Engine as _;
    format!(
        "{INDEX_LINE_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(root)
    )
}

/// Why a checkpoint's index line cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IndexLineError {
    /// The line names the index but its root is not 32 bytes of base64.
    #[error("its index line {0:?} does not hold a base64 SHA-256 root")]
    BadRoot(String),
    /// More than one index line.
    #[error("it has more than one index line")]
    Repeated,
}

/// The index root a checkpoint's extension lines carry: `None` for a checkpoint made before the
/// index existed (completeness cannot be proved from it).
pub fn index_root(extensions: &[String]) -> Result<Option<Digest>, IndexLineError> {
    use base64::Engine as _;
    let mut found = None;
    for line in extensions {
        let Some(rest) = line.strip_prefix(INDEX_LINE_PREFIX) else {
            continue;
        };
        if found.is_some() {
            return Err(IndexLineError::Repeated);
        }
        let root: Digest = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| IndexLineError::BadRoot(line.clone()))?;
        found = Some(root);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hashes_are_of_the_key_texts() {
        for key in [
            IndexKey::Refs(Seq(0)),
            IndexKey::Refs(Seq(7)),
            IndexKey::Refs(Seq(1234567890123)),
            IndexKey::Refs(Seq(u64::MAX)),
            IndexKey::Company("acme-ltd".parse().unwrap()),
            IndexKey::Designations("acme-ltd".parse().unwrap()),
            IndexKey::Keys("ICO".parse().unwrap()),
            IndexKey::Themes,
            IndexKey::Policies,
        ] {
            assert_eq!(key.hash(), key_hash(key.text().as_bytes()), "{key}");
        }
    }

    #[test]
    fn key_texts_read_back() {
        for text in [
            "refs/0",
            "refs/123",
            "company/acme-ltd",
            "designations/acme-ltd",
            "keys/ICO",
            "themes",
            "policies",
        ] {
            let key = IndexKey::parse(text).expect(text);
            assert_eq!(key.text(), text);
        }
        for bad in [
            "refs/",
            "refs/01",
            "refs/x",
            "refs/-1",
            "company/",
            "theme",
            "keys/ICO NAME",
            "other/1",
        ] {
            assert_eq!(IndexKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn index_line_round_trips() {
        let root = [7u8; 32];
        let line = index_line(&root);
        assert!(line.starts_with("dledger-index/v1 "));
        assert_eq!(index_root(std::slice::from_ref(&line)), Ok(Some(root)));
        assert_eq!(index_root(&["other".into()]), Ok(None));
        assert_eq!(
            index_root(&[line.clone(), line]),
            Err(IndexLineError::Repeated)
        );
        assert!(index_root(&["dledger-index/v1 abc".into()]).is_err());
    }
}
