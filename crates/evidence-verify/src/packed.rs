//! A dossier's entries packed in one file, `entries.jsonl`, instead of three files an entry: a
//! dossier holds thousands of entries, and one file is written (and flushed) in a fraction of
//! the time. Each line is one entry: its sequence number, its bytes and signature (base64) and
//! the hashes of its inclusion proof (base64) to the dossier's `checkpoint.note`. Reading
//! unpacks them into exactly the per-entry files of a bundle (`entries/N.bin`, `.sig`,
//! `.tlog-proof`), so every check runs as for a bundle.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use tlog::{Note, TlogProof};

use crate::format::*;

/// One line of `entries.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackedEntry {
    /// The entry's sequence number.
    pub seq: u64,
    /// The entry bytes, standard base64.
    pub entry: String,
    /// The Ed25519 signature, standard base64.
    pub signature: String,
    /// The inclusion proof's hashes to the checkpoint, standard base64, in proof order.
    pub proof: Vec<String>,
}

impl PackedEntry {
    /// The line of entry `seq`: its bytes, signature and inclusion proof's hashes.
    pub fn new(seq: u64, bytes: &[u8], signature: &[u8; 64], proof: &[tlog::Digest]) -> Self {
        PackedEntry {
            seq,
            entry: BASE64.encode(bytes),
            signature: BASE64.encode(signature),
            proof: proof.iter().map(|h| BASE64.encode(h)).collect(),
        }
    }

    /// The entry as one line of `entries.jsonl`, newline included.
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).expect("a packed entry serializes");
        line.push('\n');
        line
    }
}

/// Packs the per-entry files of `files` into `entries.jsonl` (removing them).
pub fn pack_entries(files: &mut Files) -> Result<(), String> {
    let paths: Vec<String> = files
        .keys()
        .filter(|p| p.starts_with(&format!("{ENTRIES_DIR}/")))
        .cloned()
        .collect();
    let mut seqs: Vec<u64> = paths
        .iter()
        .filter_map(|p| p.strip_suffix(".bin"))
        .filter_map(|p| p.rsplit('/').next()?.parse().ok())
        .collect();
    seqs.sort_unstable();
    let mut out = String::new();
    for seq in seqs {
        let get = |ext: &str| {
            files
                .get(&format!("{ENTRIES_DIR}/{seq}.{ext}"))
                .ok_or_else(|| format!("entry #{seq} has no .{ext} file"))
        };
        let proof = TlogProof::parse(get("tlog-proof")?).map_err(|e| e.to_string())?;
        let line = PackedEntry {
            seq,
            entry: BASE64.encode(get("bin")?),
            signature: String::from_utf8_lossy(get("sig")?).trim().to_owned(),
            proof: proof.proof.iter().map(|h| BASE64.encode(h)).collect(),
        };
        out.push_str(&line.to_line());
    }
    for p in paths {
        files.remove(&p);
    }
    files.insert(DOSSIER_ENTRIES_FILE.to_owned(), out.into_bytes());
    Ok(())
}

/// The per-entry files `entries.jsonl` stands for, added to a copy of `files`.
pub fn unpack_entries(files: &Files) -> Result<Files, String> {
    let mut out = files.clone();
    let Some(packed) = files.get(DOSSIER_ENTRIES_FILE) else {
        return Ok(out);
    };
    let note = files
        .get(CHECKPOINT_FILE)
        .ok_or_else(|| format!("{CHECKPOINT_FILE} is missing"))
        .and_then(|b| Note::parse(b).map_err(|e| format!("{CHECKPOINT_FILE}: {e}")))?;
    let text = std::str::from_utf8(packed)
        .map_err(|_| format!("{DOSSIER_ENTRIES_FILE} is not UTF-8 text"))?;
    for (i, line) in text.lines().enumerate() {
        let at = |why: String| format!("{DOSSIER_ENTRIES_FILE} line {}: {why}", i + 1);
        let e: PackedEntry = serde_json::from_str(line).map_err(|x| at(x.to_string()))?;
        let bytes = BASE64
            .decode(&e.entry)
            .map_err(|x| at(format!("the entry is not base64 ({x})")))?;
        let proof = e
            .proof
            .iter()
            .map(|h| {
                BASE64
                    .decode(h)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| at("a proof hash is not 32 bytes of base64".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tlog = TlogProof {
            extra: None,
            index: e.seq,
            proof,
            checkpoint: note.clone(),
        };
        let path = |ext: &str| format!("{ENTRIES_DIR}/{}.{ext}", e.seq);
        if out.insert(path("bin"), bytes).is_some() {
            return Err(at(format!("entry #{} appears twice", e.seq)));
        }
        out.insert(path("sig"), format!("{}\n", e.signature).into_bytes());
        out.insert(path("tlog-proof"), tlog.to_string().into_bytes());
    }
    Ok(out)
}
