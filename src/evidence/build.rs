//! Building an evidence bundle from a ledger: the target entry, everything that refers to it,
//! the genesis entry and the key history it relies on, each with its signature and inclusion
//! proof to a cosigned checkpoint, and the opened field values. A bundle is verified with the
//! offline verifier before it is returned.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;

use evidence_verify::*;
use tlog::{Note, TlogProof};

use ledger_core::index::{IndexKey, keys_of};

use crate::codec;
use crate::hash::{field_commitment, leaf_hash, sha256};
use crate::keys::PublicKey;
use crate::ledger::{open_registers, referring_entries};
use crate::model::{Body, Entry, FieldName, Seq, Timestamp};
use crate::store::Store;
use crate::witness::check_checkpoint;

use super::{Bundle, EvidenceError, damaged};

struct Record {
    entry: Entry,
    bytes: Vec<u8>,
    signature: [u8; 64],
}

/// Builds the evidence bundle for entry `seq`, opening the fields named in `open`.
///
/// The bundle proves the entry against the latest stored checkpoint that covers it and carries
/// a valid cosignature by a party other than its signer. It holds the entry, the
/// acknowledgements and corrections that refer to it (up to that checkpoint), the genesis entry,
/// the key history of every party relied on, each with its signature and inclusion proof, and
/// the openings. The bundle is verified against the genesis trust roots before it is returned.
pub fn build_bundle(store: &Store, seq: Seq, open: &[FieldName]) -> Result<Bundle, EvidenceError> {
    let seq = seq.0;
    let len = store.len()?;
    if seq >= len {
        return Err(EvidenceError::NoSuchEntry { seq, len });
    }
    let reg = open_registers(store)?;
    let origin = reg
        .origin
        .clone()
        .ok_or_else(|| damaged("the ledger has no genesis entry"))?;

    let (size, note_bytes, checked) = cosigned_checkpoint(store, &reg, &origin, len, seq + 1)?
        .ok_or_else(|| EvidenceError::NoCosignedCheckpoint {
            seq,
            latest: latest_cosigned(store, &reg, &origin, len),
        })?;
    let note = Note::parse(&note_bytes).map_err(|e| damaged(e.to_string()))?;

    // The target, what refers to it, and the key history: looked up, not scanned for.
    let mut records: BTreeMap<u64, Record> = BTreeMap::new();
    let mut target: Option<Entry> = None;
    let all_keys: Vec<u64> = reg
        .key_entries
        .iter()
        .map(|s| s.0)
        .filter(|&s| s < size)
        .collect();
    let referring = referring_entries(store, Seq(seq), Seq(size))?;
    let wanted: BTreeSet<u64> = [0, seq]
        .into_iter()
        .chain(all_keys.iter().copied())
        .chain(referring.into_iter().map(|s| s.0))
        .collect();
    for key in wanted {
        let r = store
            .get(key)?
            .ok_or_else(|| damaged(format!("entry #{key} is missing")))?;
        if let Some(why) = &r.malformed {
            return Err(damaged(format!("entry #{} cannot be read: {why}", r.key)));
        }
        let entry = codec::decode_entry(&r.bytes)
            .map_err(|e| damaged(format!("entry #{} cannot be decoded: {e}", r.key)))?;
        let keep = key == seq
            || key == 0
            || is_key_history(entry.body.kind())
            || entry.body.references().contains(&Seq(seq));
        if key == seq {
            target = Some(entry.clone());
        }
        if keep {
            let signature = r
                .signature
                .ok_or_else(|| damaged(format!("entry #{} has no stored signature", r.key)))?;
            records.insert(
                r.key,
                Record {
                    entry,
                    bytes: r.bytes,
                    signature,
                },
            );
        }
    }
    let target = target.ok_or_else(|| damaged(format!("entry #{seq} is missing")))?;
    // A correction's bundle also carries the entry it supersedes.
    if let Body::Correction(c) = &target.body
        && c.supersedes.0 < seq
    {
        let r = store
            .get(c.supersedes.0)?
            .ok_or_else(|| damaged(format!("entry {} is missing", c.supersedes)))?;
        if let Some(why) = &r.malformed {
            return Err(damaged(format!("entry #{} cannot be read: {why}", r.key)));
        }
        let entry = codec::decode_entry(&r.bytes)
            .map_err(|e| damaged(format!("entry #{} cannot be decoded: {e}", r.key)))?;
        let signature = r
            .signature
            .ok_or_else(|| damaged(format!("entry #{} has no stored signature", r.key)))?;
        records.insert(
            r.key,
            Record {
                entry,
                bytes: r.bytes,
                signature,
            },
        );
    }

    // The parties relied on: signers of the entries, the disclosure's parties, the checkpoint's
    // signer and cosigners. Only their key history is carried.
    let parties = relied_parties(
        records.values().map(|r| &r.entry),
        seq,
        std::iter::once(checked.signer.clone())
            .chain(checked.cosigners.iter().map(|(p, _)| p.clone())),
    );
    for k in all_keys {
        let keep = k == seq
            || records
                .get(&k)
                .and_then(|r| r.entry.body.key_party())
                .is_some_and(|p| parties.contains(p));
        if !keep {
            records.remove(&k);
        }
    }

    // Entry files.
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut manifest_entries = Vec::new();
    for (&s, r) in &records {
        let role = derive_role(seq, &target, &r.entry)
            .ok_or_else(|| damaged(format!("entry #{s} has no place in the bundle of #{seq}")))?;
        let leaf = leaf_hash(&r.bytes);
        let proof = tlog::prove_inclusion(s, size, store)?;
        let tlog = TlogProof {
            extra: None,
            index: s,
            proof,
            checkpoint: note.clone(),
        };
        files.insert(entry_path(Seq(s), "bin"), r.bytes.clone());
        files.insert(
            entry_path(Seq(s), "sig"),
            format!("{}\n", BASE64.encode(r.signature)).into_bytes(),
        );
        files.insert(
            entry_path(Seq(s), "tlog-proof"),
            tlog.to_string().into_bytes(),
        );
        manifest_entries.push(ManifestEntry {
            seq: s,
            kind: r.entry.body.kind(),
            role,
            leaf_hash: hex::encode(leaf),
        });
    }
    files.insert(CHECKPOINT_FILE.to_owned(), note.to_string().into_bytes());

    // Proofs of completeness, when the checkpoint signs an entry index root.
    if checked.index_root.is_some() {
        let referring: Vec<u64> = records
            .values()
            .filter(|r| r.entry.body.references().contains(&Seq(seq)))
            .map(|r| r.entry.seq.0)
            .collect();
        let mut lists = vec![(IndexKey::Refs(Seq(seq)), referring)];
        for party in &parties {
            let key = IndexKey::Keys(party.clone());
            let keys: Vec<u64> = records
                .values()
                .filter(|r| keys_of(&r.entry).contains(&key))
                .map(|r| r.entry.seq.0)
                .collect();
            lists.push((key, keys));
        }
        let proofs = super::index_proofs(store, size, &lists)?;
        files.insert(
            INDEX_FILE.to_owned(),
            json_bytes(&proofs).map_err(|e| damaged(e.to_string()))?,
        );
    }

    // Openings.
    // Fields erased by an erasure entry in the bundle (only those may be stated as erased).
    let erased: BTreeMap<String, Timestamp> = records
        .values()
        .filter_map(|r| match &r.entry.body {
            Body::Erasure(x) => Some((x, r.entry.recorded_at)),
            _ => None,
        })
        .flat_map(|(x, at)| {
            x.fields
                .iter()
                .filter(|f| f.entry.0 == seq)
                .map(move |f| (f.field.as_str().to_owned(), at))
        })
        .collect();
    let openings = build_openings(store, &target, open, &erased)?;
    files.insert(
        OPENINGS_FILE.to_owned(),
        json_bytes(&openings).map_err(|e| damaged(e.to_string()))?,
    );

    let mut manifest = Manifest {
        format: BUNDLE_FORMAT.to_owned(),
        version: BUNDLE_VERSION,
        origin: origin.clone(),
        target: seq,
        tree_size: size,
        created_at: Timestamp::now(),
        created_by: format!("dledger {}", env!("CARGO_PKG_VERSION")),
        dossier: None,
        entries: manifest_entries,
        files: Vec::new(),
    };

    // The genesis trust roots are the keys the bundle is checked against here.
    let trusted: Vec<PublicKey> = records
        .get(&0)
        .and_then(|r| match &r.entry.body {
            Body::Genesis(g) => Some(
                g.parties
                    .iter()
                    .filter_map(|p| PublicKey::from_record(&p.trust_root).ok())
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();

    // The summary is derived by the same code the verifier runs, so the two always agree.
    let content = analyze(&manifest, &files, &trusted);
    let summary = content.summary.clone();
    files.insert(SUMMARY_FILE.to_owned(), summary.into_bytes());
    files.insert(
        README_FILE.to_owned(),
        readme(&manifest, &content).into_bytes(),
    );
    manifest.files = manifest_files(&files);
    files.insert(
        MANIFEST_FILE.to_owned(),
        json_bytes(&manifest).map_err(|e| damaged(e.to_string()))?,
    );

    let report = super::self_checked(
        format!("the evidence bundle for entry #{seq}"),
        verify_files(&files, &trusted),
    )?;
    Ok(Bundle {
        files,
        manifest,
        report,
    })
}

/// The latest stored checkpoint of at least `min_size` entries that checks out against the
/// ledger and is cosigned by a party other than its signer.
pub(super) fn cosigned_checkpoint(
    store: &Store,
    reg: &crate::registers::Registers,
    origin: &str,
    len: u64,
    min_size: u64,
) -> Result<Option<(u64, Vec<u8>, crate::witness::CheckedCheckpoint)>, EvidenceError> {
    for (size, note) in store.checkpoints()?.into_iter().rev() {
        if size < min_size {
            break;
        }
        let root_at = |n: u64| (n <= len).then(|| tlog::tree_hash(n, store).ok()).flatten();
        let Ok(checked) = check_checkpoint(&note, origin, reg, root_at) else {
            continue;
        };
        if !checked.cosigners.is_empty() {
            return Ok(Some((size, note, checked)));
        }
    }
    Ok(None)
}

/// The size of the latest valid cosigned checkpoint, if any.
fn latest_cosigned(
    store: &Store,
    reg: &crate::registers::Registers,
    origin: &str,
    len: u64,
) -> Option<u64> {
    cosigned_checkpoint(store, reg, origin, len, 0)
        .ok()
        .flatten()
        .map(|(s, _, _)| s)
}

/// The manifest's list of `files`: each path with its length and SHA-256.
pub(super) fn manifest_files(files: &BTreeMap<String, Vec<u8>>) -> Vec<ManifestFile> {
    files
        .iter()
        .map(|(path, bytes)| ManifestFile {
            path: path.clone(),
            bytes: bytes.len() as u64,
            sha256: hex::encode(sha256(bytes)),
        })
        .collect()
}

pub(super) fn json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

pub(super) fn build_openings(
    store: &Store,
    target: &Entry,
    open: &[FieldName],
    erased: &BTreeMap<String, Timestamp>,
) -> Result<Openings, EvidenceError> {
    let seq = target.seq.0;
    let Some(disclosure) = target.body.disclosure() else {
        if open.is_empty() {
            return Ok(Openings {
                entry: seq,
                fields: Vec::new(),
            });
        }
        return Err(EvidenceError::NoFields {
            seq,
            kind: target.body.kind(),
        });
    };
    let names: Vec<String> = disclosure
        .fields
        .iter()
        .map(|f| f.name.as_str().to_owned())
        .collect();
    for f in open {
        if !names.iter().any(|n| n == f.as_str()) {
            return Err(EvidenceError::UnknownField {
                seq,
                field: f.as_str().to_owned(),
                available: names.clone(),
            });
        }
    }
    let values: BTreeMap<String, Vec<u8>> = store.vault_items(seq)?.into_iter().collect();
    let mut fields = Vec::new();
    for f in &disclosure.fields {
        let name = f.name.as_str();
        let requested = open.iter().any(|o| o.as_str() == name);
        let commitment = hex::encode(f.commitment);
        if requested && let Some(item) = values.get(name) {
            let (salt, value) = item.split_at_checked(32).ok_or_else(|| {
                damaged(format!(
                    "the vault item of field {name} of entry #{seq} is shorter than its salt"
                ))
            })?;
            let salt: [u8; 32] = salt.try_into().map_err(|_| damaged("salt length"))?;
            if field_commitment(&salt, name, value) != f.commitment {
                return Err(damaged(format!(
                    "the vault value of field {name} of entry #{seq} does not match the commitment \
                     recorded in the entry"
                )));
            }
            let value = String::from_utf8(value.to_vec()).map_err(|_| {
                damaged(format!(
                    "the vault value of field {name} of entry #{seq} is not UTF-8 text"
                ))
            })?;
            fields.push(Opening::Opened {
                name: name.to_owned(),
                commitment,
                value,
                salt: hex::encode(salt),
            });
        } else if let Some(&at) = erased.get(name) {
            fields.push(Opening::Erased {
                name: name.to_owned(),
                commitment,
                erased_at: at,
            });
        } else if requested {
            return Err(EvidenceError::NoValue {
                seq,
                field: name.to_owned(),
            });
        }
    }
    Ok(Openings { entry: seq, fields })
}

// ---------------------------------------------------------------------------
