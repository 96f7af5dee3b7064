//! Building a company dossier (`dledger dossier COMPANY -o DIR`): every disclosure, correction
//! and refusal naming the company up to the latest cosigned checkpoint, with everything that
//! refers to each, the company's designation history (and that of every other company they
//! name), every theme and policy entry, every key change, and the index proofs that each of
//! those lists is complete. Verified with the offline verifier before it is returned; its table
//! and flags are derived from the entries by the same code that verifies it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use evidence_verify::*;
use ledger_core::index::{IndexKey, keys_of};

use super::build::{cosigned_checkpoint, json_bytes, manifest_files};
use super::{Bundle, EvidenceError, damaged};
use crate::codec;
use crate::hash::leaf_hash;
use crate::keys::PublicKey;
use crate::ledger::open_registers;
use crate::model::{Body, CompanyId, Seq, Timestamp};
use crate::store::Store;

/// Builds the dossier of `company`; its table shows the disclosures made from `from` to `to`
/// (London dates, `YYYY-MM-DD`), all of them if neither is given.
/// With `open`, the values of those fields of every subject disclosure that records them are
/// included (or stated as erased, backed by the erasure entry).
pub fn build_dossier(
    store: &Store,
    company: &CompanyId,
    from: Option<jiff::civil::Date>,
    to: Option<jiff::civil::Date>,
    open: &[crate::model::FieldName],
) -> Result<Bundle, EvidenceError> {
    let len = store.len()?;
    let reg = open_registers(store)?;
    let origin = reg
        .origin
        .clone()
        .ok_or_else(|| damaged("the ledger has no genesis entry"))?;
    let (size, note_bytes, checked) = cosigned_checkpoint(store, &reg, &origin, len, 1)?.ok_or(
        EvidenceError::NoCosignedCheckpoint {
            seq: 0,
            latest: None,
        },
    )?;
    let note = tlog::Note::parse(&note_bytes).map_err(|e| damaged(e.to_string()))?;

    // One pass over the first `size` entries: the lists a dossier may need — every key but
    // `refs/`, and `refs/` only of the entries that can be anchors (subjects and registers).
    let subject_key = IndexKey::Company(company.clone());
    let mut filed: HashMap<IndexKey, Vec<u64>> = HashMap::new();
    let mut anchors_seen: HashSet<u64> = HashSet::new();
    let mut named_by_subjects: BTreeSet<CompanyId> = BTreeSet::new();
    let mut parties = Vec::new();
    let mut read: HashMap<u64, (crate::model::Entry, Vec<u8>, [u8; 64])> = HashMap::new();
    // Every leaf hash, from the bytes as read: the inclusion proofs come from this tree in memory
    // (reading the stored tree once per proof cost a fifth of the time); the self-check below
    // proves them against the checkpoint's root, so bytes that differ from those it signed fail.
    let mut leaves = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // Records are decoded (and their leaf hashes and index keys worked out) on all cores, then
    // taken here in ledger order.
    type Prepared = (
        tlog::Digest,
        Result<(crate::model::Entry, Vec<IndexKey>), String>,
    );
    let prepare = |r: &crate::store::StoredRecord| -> Prepared {
        let decoded = match &r.malformed {
            Some(m) => Err(m.to_string()),
            None => codec::decode_entry(&r.bytes)
                .map(|entry| {
                    let keys = keys_of(&entry);
                    (entry, keys)
                })
                .map_err(|e| e.to_string()),
        };
        (leaf_hash(&r.bytes), decoded)
    };
    crate::stream::prepared_chunks(store, 0, 1024, prepare, |records, prepared| {
        for (r, (leaf, decoded)) in records.into_iter().zip(prepared) {
            if r.key >= size {
                break;
            }
            leaves.push(leaf);
            let why = |e: String| damaged(format!("entry #{} cannot be read: {e}", r.key));
            let (entry, keys) = decoded.map_err(why)?;
            if let Body::Genesis(g) = &entry.body {
                parties.extend(g.parties.iter().map(|p| p.id.clone()));
            }
            if keys.contains(&subject_key) {
                named_by_subjects.extend(entry.body.companies().iter().map(|c| c.id.clone()));
            }
            let mut kept = r.key == 0;
            for key in keys {
                match key {
                    IndexKey::Refs(n) if !anchors_seen.contains(&n.0) => {}
                    IndexKey::Company(ref c) if *c != *company => {}
                    other => {
                        kept = true;
                        if matches!(
                            other,
                            IndexKey::Company(_)
                                | IndexKey::Designations(_)
                                | IndexKey::Themes
                                | IndexKey::Policies
                        ) {
                            anchors_seen.insert(r.key);
                        }
                        filed.entry(other).or_default().push(r.key);
                    }
                }
            }
            // Every entry that may go in the dossier is kept as read (a second read of each
            // would cost a read transaction apiece).
            if kept {
                let signature = r
                    .signature
                    .ok_or_else(|| why("no stored signature".into()))?;
                read.insert(r.key, (entry, r.bytes, signature));
            }
        }
        Ok::<_, EvidenceError>(())
    })?;
    let under = |key: &IndexKey| filed.get(key).cloned().unwrap_or_default();
    let subjects = under(&subject_key);
    let mut wanted = vec![
        subject_key,
        IndexKey::Designations(company.clone()),
        IndexKey::Themes,
        IndexKey::Policies,
    ];
    for c in named_by_subjects {
        let k = IndexKey::Designations(c);
        if !wanted.contains(&k) {
            wanted.push(k);
        }
    }
    let anchors: BTreeSet<u64> = wanted.iter().flat_map(&under).collect();
    wanted.extend(anchors.iter().map(|a| IndexKey::Refs(Seq(*a))));
    wanted.extend(parties.into_iter().map(IndexKey::Keys));
    let lists: Vec<(IndexKey, Vec<u64>)> = wanted.iter().map(|k| (k.clone(), under(k))).collect();
    let included: BTreeSet<u64> = std::iter::once(0)
        .chain(lists.iter().flat_map(|(_, l)| l.iter().copied()))
        .collect();

    // The index proofs (reads of the saved index, a key at a time) are made on a second thread
    // while this one assembles the entries.
    std::thread::scope(|scope| {
        let index_job = checked
            .index_root
            .is_some()
            .then(|| scope.spawn(|| super::index_proofs(store, size, &lists)));

        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        // The entries go straight into `entries.jsonl`; the self-check below reads them from there,
        // exactly as the receiver's `verify-evidence` will.
        let mut packed = String::new();
        let mut manifest_entries = Vec::with_capacity(included.len());
        let mut trusted: Vec<PublicKey> = Vec::new();
        let tree = tlog::MemoryHashes::from_leaf_hashes(leaves);
        let mut opened_entries = Vec::new();
        let mut erased: BTreeMap<(u64, String), Timestamp> = BTreeMap::new();
        for s in &included {
            let (e, bytes, signature) = read
                .remove(s)
                .ok_or_else(|| damaged(format!("entry #{s} was not read")))?;
            let (bytes, signature) = (&bytes, &signature);
            if let Body::Erasure(x) = &e.body {
                for f in &x.fields {
                    erased.insert((f.entry.0, f.field.as_str().to_owned()), e.recorded_at);
                }
            }
            if !open.is_empty() && subjects.contains(s) && e.body.disclosure().is_some() {
                opened_entries.push(e.clone());
            }
            if *s == 0
                && let Body::Genesis(g) = &e.body
            {
                trusted = g
                    .parties
                    .iter()
                    .filter_map(|p| PublicKey::from_record(&p.trust_root).ok())
                    .collect();
            }
            let role = if *s == 0 {
                Role::Genesis
            } else if is_key_history(e.body.kind()) {
                Role::KeyHistory
            } else if subjects.contains(s) {
                Role::Subject
            } else {
                Role::Register
            };
            let proof = tlog::prove_inclusion(*s, size, &tree)?;
            packed.push_str(&PackedEntry::new(*s, bytes, signature, &proof).to_line());
            manifest_entries.push(ManifestEntry {
                seq: *s,
                kind: e.body.kind(),
                role,
                leaf_hash: hex::encode(leaf_hash(bytes)),
            });
        }
        files.insert(CHECKPOINT_FILE.to_owned(), note.to_string().into_bytes());
        files.insert(DOSSIER_ENTRIES_FILE.to_owned(), packed.into_bytes());
        if !open.is_empty() {
            let mut entries = Vec::new();
            for e in &opened_entries {
                let names: Vec<crate::model::FieldName> = open
                    .iter()
                    .filter(|f| {
                        e.body
                            .disclosure()
                            .is_some_and(|d| d.fields.iter().any(|x| x.name == **f))
                    })
                    .cloned()
                    .collect();
                if names.is_empty() {
                    continue;
                }
                let mine: BTreeMap<String, Timestamp> = erased
                    .iter()
                    .filter(|((seq, _), _)| *seq == e.seq.0)
                    .map(|((_, name), at)| (name.clone(), *at))
                    .collect();
                let mut o = super::build::build_openings(store, e, &names, &mine)?;
                o.fields
                    .retain(|f| names.iter().any(|n| n.as_str() == f_name(f)));
                entries.push(o);
            }
            files.insert(
                OPENINGS_FILE.to_owned(),
                json_bytes(&DossierOpenings { entries }).map_err(|e| damaged(e.to_string()))?,
            );
        }
        if let Some(job) = index_job {
            let proofs = job.join().expect("the index proof thread does not panic")?;
            files.insert(
                INDEX_FILE.to_owned(),
                json_bytes(&proofs).map_err(|e| damaged(e.to_string()))?,
            );
        }
        let mut manifest = Manifest {
            format: DOSSIER_FORMAT.to_owned(),
            version: DOSSIER_VERSION,
            origin,
            target: 0,
            tree_size: size,
            created_at: Timestamp::now(),
            created_by: format!("dledger {}", env!("CARGO_PKG_VERSION")),
            dossier: Some(DossierScope {
                company: company.to_string(),
                from: from.map(|d| d.to_string()),
                to: to.map(|d| d.to_string()),
            }),
            entries: manifest_entries,
            files: Vec::new(),
        };
        let (content, html) = derive_dossier(&manifest, &files, &trusted);
        files.insert(
            SUMMARY_FILE.to_owned(),
            content.summary.clone().into_bytes(),
        );
        files.insert(DOSSIER_HTML_FILE.to_owned(), html.into_bytes());
        manifest.files = manifest_files(&files);
        files.insert(
            MANIFEST_FILE.to_owned(),
            json_bytes(&manifest).map_err(|e| damaged(e.to_string()))?,
        );
        // The verifier's own analysis of these very entries (run above to derive the summary) is
        // the self-check: every entry, signature, proof and list passed, or nothing is written.
        let report = super::self_checked(format!("the dossier of {company}"), content)?;
        Ok(Bundle {
            files,
            manifest,
            report,
        })
    })
}

fn f_name(o: &Opening) -> &str {
    match o {
        Opening::Opened { name, .. } | Opening::Erased { name, .. } => name,
    }
}
