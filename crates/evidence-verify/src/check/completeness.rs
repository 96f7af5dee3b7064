//! Completeness: the index proofs of `index-proofs.json`, checked against the entry index root
//! the checkpoint signs (docs/FORMAT.md §7.6), show that the bundle holds every entry that
//! refers to the target and the whole key history of every party it relies on — and nothing
//! the index does not list. Without an index root in the checkpoint, completeness is "not
//! proven", and the summary says so instead of "None".

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ledger_core::index::{IndexKey, index_root};
use ledger_core::model::Entry;
use tlog::map::{ListDigest, MapProof};

use super::*;

/// What the completeness check established.
#[derive(Debug, Clone, Default)]
pub(crate) struct Completeness {
    /// The bundle's lists are proved complete.
    pub(crate) proven: bool,
    /// The parties whose key history is proved complete.
    pub(crate) parties: Vec<PartyId>,
}

/// The parties a bundle relies on: the signer of the target and of every entry that is not a
/// key change, the discloser and recipient of every disclosure (or replacement) in it, and the
/// checkpoint's signer and cosigners. The bundle carries, and proves complete, their key
/// history.
pub fn relied_parties<'e>(
    entries: impl IntoIterator<Item = &'e Entry>,
    target: u64,
    checkpoint_parties: impl IntoIterator<Item = PartyId>,
) -> BTreeSet<PartyId> {
    let mut parties = BTreeSet::new();
    for e in entries {
        if !is_key_history(e.body.kind()) || e.seq.0 == target {
            parties.insert(e.signer.party.clone());
        }
        if let Some(d) = e.body.disclosure() {
            parties.insert(d.from.clone());
            parties.insert(d.to.clone());
        }
    }
    parties.extend(checkpoint_parties);
    parties
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn list(seqs: &[u64]) -> String {
    if seqs.is_empty() {
        return "none".to_owned();
    }
    seqs.iter()
        .map(|s| format!("#{s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'a> Analysis<'a> {
    /// The entry index root the checkpoint signs, if it carries one.
    fn signed_index_root(&mut self) -> Option<Digest> {
        let (cp, _) = self.checkpoint.as_ref()?;
        match index_root(&cp.extensions) {
            Ok(root) => root,
            Err(e) => {
                self.checks.fail(
                    CheckName::Completeness,
                    format!("the checkpoint's index line cannot be read: {e}"),
                );
                None
            }
        }
    }

    /// Checks `index-proofs.json` against the checkpoint's index root and the bundle's entries.
    pub(super) fn check_completeness(
        &mut self,
        related: &Related,
        cp: Option<&CheckpointFacts>,
    ) -> Completeness {
        let root = self.signed_index_root();
        let file = self.files.get(INDEX_FILE);
        let (root, file) = match (root, file) {
            (None, None) => {
                self.checks.pass(
                    CheckName::Completeness,
                    "not proven: the checkpoint carries no entry index root (it was made before \
                     the index existed), so the bundle shows what was recorded but cannot prove \
                     that nothing else was"
                        .to_owned(),
                );
                return Completeness::default();
            }
            (None, Some(_)) => {
                self.checks.fail(
                    CheckName::Completeness,
                    format!(
                        "{INDEX_FILE} cannot be checked: the checkpoint carries no entry index root"
                    ),
                );
                return Completeness::default();
            }
            (Some(_), None) => {
                self.checks.fail(
                    CheckName::Completeness,
                    format!(
                        "the checkpoint signs an entry index root but {INDEX_FILE} is missing, so \
                         the bundle cannot show that nothing was left out"
                    ),
                );
                return Completeness::default();
            }
            (Some(root), Some(file)) => (root, file),
        };
        let proofs: IndexProofs = match serde_json::from_slice(file) {
            Ok(p) => p,
            Err(e) => {
                self.checks.fail(
                    CheckName::Completeness,
                    format!("{INDEX_FILE} cannot be read ({e})"),
                );
                return Completeness::default();
            }
        };
        let size = self.manifest.tree_size;
        let mut lists: BTreeMap<IndexKey, Vec<u64>> = BTreeMap::new();
        for item in &proofs.proofs {
            match check_item(item, &root, size) {
                Ok(key) => {
                    if lists.insert(key, item.entries.clone()).is_some() {
                        self.checks.fail(
                            CheckName::Completeness,
                            format!("{INDEX_FILE} proves key {} twice", item.key),
                        );
                    }
                }
                Err(why) => self
                    .checks
                    .fail(CheckName::Completeness, format!("key {}: {why}", item.key)),
            }
        }
        let before = self.checks.0.len();
        let target = self.manifest.target;
        // Every entry that refers to the target: exactly the refs list.
        let mut referring: Vec<u64> = related
            .acks
            .iter()
            .chain(&related.corrections)
            .chain(&related.dispositions)
            .chain(&related.erasures)
            .chain(&related.confirmations)
            .copied()
            .collect();
        referring.sort_unstable();
        let refs_key = IndexKey::Refs(Seq(target));
        match lists.get(&refs_key) {
            None => self.checks.fail(
                CheckName::Completeness,
                format!(
                    "{INDEX_FILE} has no proof for {refs_key}, so the bundle cannot show it holds \
                     every entry that refers to #{target}"
                ),
            ),
            Some(proved) => self.compare(&refs_key, proved, &referring, "refers to"),
        }
        // Every key change of every party relied on: exactly its keys list (genesis aside).
        let parties = relied_parties(
            self.items.iter().filter_map(|i| i.entry.as_ref()),
            target,
            cp.into_iter().flat_map(|c| {
                std::iter::once(c.signer.clone()).chain(c.cosigners.iter().map(|x| x.party.clone()))
            }),
        );
        let key_entries = |party: &PartyId| -> Vec<u64> {
            self.items
                .iter()
                .filter_map(|i| i.entry.as_ref())
                .filter(|e| is_key_history(e.body.kind()) && e.body.key_party() == Some(party))
                .map(|e| e.seq.0)
                .collect()
        };
        let mut checks = Vec::new();
        for party in &parties {
            let key = IndexKey::Keys(party.clone());
            match lists.get(&key) {
                None => checks.push(format!(
                    "{INDEX_FILE} has no proof for {key}, so the bundle cannot show it holds the \
                     whole key history of {party}, a party it relies on"
                )),
                Some(proved) => {
                    let proved: Vec<u64> = proved.iter().copied().filter(|s| *s != 0).collect();
                    checks.extend(differences(
                        &key,
                        &proved,
                        &key_entries(party),
                        "is a key change of",
                        "bundle",
                    ));
                }
            }
        }
        // Key changes of parties the bundle does not rely on have no place in it.
        for item in &self.items {
            if let Some(e) = &item.entry
                && is_key_history(e.body.kind())
                && e.body.key_party().is_some_and(|p| !parties.contains(p))
            {
                checks.push(format!(
                    "#{} is a key change of {}, a party this bundle does not rely on",
                    item.seq,
                    e.body.key_party().map(|p| p.as_str()).unwrap_or_default()
                ));
            }
        }
        for c in checks {
            self.checks.fail(CheckName::Completeness, c);
        }
        let failed = self.checks.0[before..].iter().any(|c| !c.ok)
            || self.checks.any_failed(CheckName::Completeness);
        if failed {
            return Completeness::default();
        }
        let names: Vec<String> = parties.iter().map(|p| p.as_str().to_owned()).collect();
        self.checks.pass(
            CheckName::Completeness,
            format!(
                "the entry index signed with the checkpoint proves the bundle holds every entry \
                 of the first {size} that refers to #{target} ({}) and the whole key history of \
                 {} — no more, no fewer",
                plural(referring.len(), "entry", "entries"),
                names.join(", ")
            ),
        );
        Completeness {
            proven: true,
            parties: parties.into_iter().collect(),
        }
    }

    /// Fails for every entry the proved list and the bundle disagree on.
    fn compare(&mut self, key: &IndexKey, proved: &[u64], held: &[u64], relation: &str) {
        for problem in differences(key, proved, held, relation, "bundle") {
            self.checks.fail(CheckName::Completeness, problem);
        }
    }
}

/// What differs between the list the index proves for `key` and the entries the bundle holds.
pub(super) fn differences(
    key: &IndexKey,
    proved: &[u64],
    held: &[u64],
    relation: &str,
    what: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let target = match key {
        IndexKey::Refs(s) => format!("#{}", s.0),
        IndexKey::Keys(p) => p.as_str().to_owned(),
        other => other.text(),
    };
    for s in proved {
        if !held.contains(s) {
            out.push(format!(
                "entry #{s} {relation} {target} (the index signed with the checkpoint lists it \
                 under {key}) but is missing from the {what}: the {what} leaves it out"
            ));
        }
    }
    for s in held {
        if !proved.contains(s) {
            out.push(format!(
                "entry #{s} is in the {what} as one that {relation} {target}, but the index lists \
                 only {} under {key}",
                list(proved)
            ));
        }
    }
    out
}

/// Checks one proof; returns its key.
pub(super) fn check_item(
    item: &IndexProofItem,
    root: &Digest,
    size: u64,
) -> Result<IndexKey, String> {
    let key = IndexKey::parse(&item.key).ok_or("not an index key")?;
    if !item.entries.windows(2).all(|w| w[0] < w[1]) {
        return Err("its entries are not in increasing order".into());
    }
    if let Some(beyond) = item.entries.iter().find(|s| **s >= size) {
        return Err(format!(
            "it lists entry #{beyond}, beyond the checkpoint's {size} entries"
        ));
    }
    let bytes = BASE64
        .decode(&item.proof)
        .map_err(|e| format!("its proof is not base64 ({e})"))?;
    let proof = MapProof::from_bytes(&bytes).map_err(|e| e.to_string())?;
    let claimed = ListDigest::of(&item.entries);
    match proof.root_for(&key.hash(), &claimed) {
        Ok(r) if r == *root => Ok(key),
        Ok(_) => Err(format!(
            "the proof of its list ({}) does not lead to the index root the checkpoint signs",
            list(&item.entries)
        )),
        Err(e) => Err(e.to_string()),
    }
}
