//! Export and import of the whole log as JSON Lines that a third party can read without our
//! code: each line carries the exact entry bytes (base64), signature and hash, plus a decoded
//! view for people. The bytes are authoritative; the view is a convenience. Format:
//! docs/FORMAT.md, "Export file".

use std::io::{BufRead, Write};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::hash::leaf_hash;
use crate::model::Entry;
use crate::store::{NewRecord, OpenError, Store, StoreAppendError, StoreError};
use crate::verify::{FlagFilter, IntegrityStatus, VerifyOptions, verify_ledger};

/// The `format` value of an export's header line.
pub const EXPORT_FORMAT: &str = "disclosure-ledger-export";
/// The export format version this build writes. It reads versions 1 (entries only) and 2.
pub const EXPORT_VERSION: u32 = 2;

/// First line of an export.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportHeader {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    /// Always [`EXPORT_VERSION`].
    pub version: u32,
    /// Entry format version of the entries (docs/FORMAT.md).
    pub entry_format: u16,
    /// Number of entry lines that follow.
    pub entries: u64,
    /// Number of checkpoint lines after the entries (version 2; none in version 1).
    #[serde(default)]
    pub checkpoints: u64,
    /// Whether the entry lines carry the field values of the vault (version 2, `export
    /// --with-values`).
    #[serde(default)]
    pub values: bool,
}

/// One checkpoint line of an export (version 2): a stored checkpoint note, with every
/// signature and cosignature it carries, byte for byte.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportCheckpoint {
    /// The tree size the note is stored under.
    pub checkpoint: u64,
    /// The note's text (UTF-8, signature lines included).
    pub note: String,
}

/// One field value of an entry line (version 2, `export --with-values`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportValue {
    /// The field's name.
    pub name: String,
    /// Salt ‖ value, exactly as the vault holds it, standard base64.
    pub item: String,
}

/// What [`export_with`] writes besides the entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Include the field values of the vault (confidential: only when asked).
    pub values: bool,
}

/// What an export held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    /// Entry lines.
    pub entries: u64,
    /// Checkpoint lines.
    pub checkpoints: u64,
    /// Field values written (0 without `values`).
    pub values: u64,
}

/// One entry line of an export.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportLine {
    /// Sequence number.
    pub seq: u64,
    /// Entry hash, hex: SHA-256(0x00 ‖ entry bytes).
    pub hash: String,
    /// Entry bytes, base64.
    pub entry: String,
    /// Ed25519 signature over context ‖ entry bytes, base64.
    pub signature: String,
    /// The entry decoded, for people (ignored on import).
    pub view: serde_json::Value,
    /// The entry's field values (version 2, only in an export made with values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<ExportValue>>,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    /// A stored entry cannot be read back, or cannot be decoded.
    #[error("entry #{seq} cannot be exported ({reason})")]
    Damaged {
        /// Entry.
        seq: u64,
        /// Why.
        reason: String,
    },
}

/// Why an import failed. The target file is removed, so nothing is left behind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Reading the input failed.
    #[error("cannot read the export: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not valid.
    #[error("line {line} of the export: {reason}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The target ledger could not be created.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// Writing failed.
    #[error(transparent)]
    Store(#[from] StoreAppendError),
    /// The imported log does not verify.
    #[error(
        "the imported log fails verification ({count} problem{s}, first at {first}); nothing was \
         imported"
    )]
    Invalid {
        /// Number of failures.
        count: usize,
        /// "s" or "".
        s: &'static str,
        /// First failure.
        first: String,
    },
}

/// Writes the whole log and its checkpoints to `out` as JSON Lines, without field values;
/// returns the number of entries.
pub fn export(store: &Store, out: &mut impl Write) -> Result<u64, ExportError> {
    Ok(export_with(store, out, ExportOptions::default())?.entries)
}

/// Writes the whole log to `out` as JSON Lines: every entry, then every stored checkpoint (with
/// its cosignatures), and with `options.values` each entry's field values.
pub fn export_with(
    store: &Store,
    out: &mut impl Write,
    options: ExportOptions,
) -> Result<ExportSummary, ExportError> {
    let entries = store.len()?;
    // The checkpoints the entries cover (a writer may append after the count is taken).
    let checkpoints: Vec<(u64, Vec<u8>)> = store
        .checkpoints()?
        .into_iter()
        .filter(|(size, _)| *size <= entries)
        .collect();
    let header = ExportHeader {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        entry_format: crate::model::FORMAT_VERSION,
        entries,
        checkpoints: checkpoints.len() as u64,
        values: options.values,
    };
    let mut values_written = 0u64;
    writeln!(
        out,
        "{}",
        serde_json::to_string(&header).expect("header serializes")
    )?;
    let mut n = 0;
    // The header's count and the scan are two read transactions: a writer may append between
    // them, so the scan stops at the count the header promised.
    store.scan(0, Some(header.entries), |r| {
        if let Some(why) = r.malformed {
            return Err(ExportError::Damaged {
                seq: r.key,
                reason: why,
            });
        }
        let entry: Entry = codec::decode_entry(&r.bytes).map_err(|e| ExportError::Damaged {
            seq: r.key,
            reason: e.to_string(),
        })?;
        let signature = r.signature.ok_or_else(|| ExportError::Damaged {
            seq: r.key,
            reason: "no signature stored".into(),
        })?;
        let values = if options.values {
            let items = r.vault().map_err(|e| ExportError::Damaged {
                seq: r.key,
                reason: format!("its field values cannot be read: {e}"),
            })?;
            values_written += items.len() as u64;
            Some(
                items
                    .into_iter()
                    .map(|(name, item)| ExportValue {
                        name,
                        item: BASE64.encode(item),
                    })
                    .collect(),
            )
        } else {
            None
        };
        let line = ExportLine {
            seq: r.key,
            hash: hex::encode(leaf_hash(&r.bytes)),
            entry: BASE64.encode(&r.bytes),
            signature: BASE64.encode(signature),
            view: serde_json::to_value(&entry).expect("entries serialize to JSON"),
            values,
        };
        writeln!(
            out,
            "{}",
            serde_json::to_string(&line).expect("line serializes")
        )?;
        n += 1;
        Ok::<_, ExportError>(())
    })?;
    for (size, note) in &checkpoints {
        let note = String::from_utf8(note.clone()).map_err(|_| ExportError::Damaged {
            seq: size.saturating_sub(1),
            reason: format!("the checkpoint of size {size} is not UTF-8 text"),
        })?;
        let line = ExportCheckpoint {
            checkpoint: *size,
            note,
        };
        writeln!(
            out,
            "{}",
            serde_json::to_string(&line).expect("line serializes")
        )?;
    }
    Ok(ExportSummary {
        entries: n,
        checkpoints: checkpoints.len() as u64,
        values: values_written,
    })
}

/// Creates a new ledger at `path` from an export, byte for byte, and verifies it; on any
/// failure the new file is removed. Returns the number of entries imported.
pub fn import(input: impl BufRead, path: &Path) -> Result<u64, ImportError> {
    Ok(import_all(input, path)?.entries)
}

/// [`import`], returning what the copy holds: the entries, the checkpoints (each verified like
/// those of any ledger: signatures, and the root at its size) and the field values, if the
/// export carried them.
pub fn import_all(input: impl BufRead, path: &Path) -> Result<ExportSummary, ImportError> {
    let (header, records, checkpoints) = read_export(input)?;
    let store = Store::create(path)?;
    // An export without field values: the copy says so, and is not failed for it.
    if !header.values {
        store.mark_without_vault()?;
    }
    let values: u64 = records.iter().map(|r| r.vault.len() as u64).sum();
    let result = (|| {
        store.append(&records)?;
        for c in &checkpoints {
            store.put_checkpoint(c.checkpoint, c.note.as_bytes())?;
        }
        // The whole verification, stored checkpoints (signatures, cosignatures and roots)
        // included, as `dledger verify` runs it on the copy.
        let verified = verify_ledger(&store, &VerifyOptions::default(), &FlagFilter::default())
            .map_err(|e| ImportError::Io(std::io::Error::other(e.to_string())))?;
        if verified.integrity.status != IntegrityStatus::Intact {
            let f = &verified.integrity.failures;
            return Err(ImportError::Invalid {
                count: f.len(),
                s: if f.len() == 1 { "" } else { "s" },
                first: format!("{} {}: {}", f[0].seq, f[0].kind, f[0].message),
            });
        }
        // The writer's index, so that the first append need not replay the ledger.
        let index = crate::ledger::rebuild_index(&store)
            .map_err(|e| ImportError::Io(std::io::Error::other(e.to_string())))?;
        store.rewrite_index(&index)?;
        Ok(ExportSummary {
            entries: records.len() as u64,
            checkpoints: checkpoints.len() as u64,
            values,
        })
    })();
    if result.is_err() {
        drop(store);
        let _ = std::fs::remove_file(path);
    }
    result
}

/// What an export holds, read and checked line by line.
type ReadExport = (ExportHeader, Vec<NewRecord>, Vec<ExportCheckpoint>);

fn read_export(mut input: impl BufRead) -> Result<ReadExport, ImportError> {
    let bad = |line: usize, reason: String| ImportError::Line { line, reason };
    // Every line is bounded (docs/RELIABILITY.md, "Bounded inputs"): a line longer than any
    // entry can make is refused before it is held in memory.
    let mut next_line = |n: usize, line: &mut String| -> Result<bool, ImportError> {
        ledger_core::files::read_line_limited(
            &mut input,
            line,
            ledger_core::files::EXPORT_LINE_LIMIT,
            n,
            "export file",
            Path::new("(import)"),
        )
        .map_err(|e| match e {
            ledger_core::files::ReadFileError::LineTooLong { limit, .. } => bad(
                n,
                format!("longer than the {limit}-byte limit for one line of an export"),
            ),
            ledger_core::files::ReadFileError::Io { source, .. } => ImportError::Io(source),
            other => bad(n, other.to_string()),
        })
    };
    let mut header_text = String::new();
    if !next_line(1, &mut header_text)? {
        return Err(bad(1, "the file is empty".into()));
    }
    let header: ExportHeader = serde_json::from_str(&header_text)
        .map_err(|e| bad(1, format!("not an export header ({e})")))?;
    if header.format != EXPORT_FORMAT || !(1..=EXPORT_VERSION).contains(&header.version) {
        return Err(bad(
            1,
            format!(
                "format {:?} version {} is not {EXPORT_FORMAT:?} version 1 to {EXPORT_VERSION}",
                header.format, header.version
            ),
        ));
    }
    if header.version == 1 && (header.checkpoints > 0 || header.values) {
        return Err(bad(
            1,
            "a version 1 export holds neither checkpoints nor values".into(),
        ));
    }
    let mut checkpoints: Vec<ExportCheckpoint> = Vec::new();
    let mut records = Vec::new();
    let mut line = String::new();
    for n in 2.. {
        if !next_line(n, &mut line)? {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        if records.len() as u64 == header.entries {
            // After the entries, the checkpoint lines.
            let c: ExportCheckpoint = serde_json::from_str(&line)
                .map_err(|e| bad(n, format!("not a checkpoint line ({e})")))?;
            if checkpoints.len() as u64 == header.checkpoints {
                return Err(bad(
                    n,
                    format!(
                        "the header promises {} entries and {} checkpoints, and this line is \
                         one more",
                        header.entries, header.checkpoints
                    ),
                ));
            }
            if c.checkpoint > header.entries
                || checkpoints
                    .last()
                    .is_some_and(|p| p.checkpoint >= c.checkpoint)
            {
                return Err(bad(
                    n,
                    format!(
                        "checkpoint of size {} is out of order or beyond the {} entries",
                        c.checkpoint, header.entries
                    ),
                ));
            }
            checkpoints.push(c);
            continue;
        }
        let l: ExportLine =
            serde_json::from_str(&line).map_err(|e| bad(n, format!("not an entry line ({e})")))?;
        if l.values.is_some() != header.values {
            return Err(bad(
                n,
                if header.values {
                    "the header says the export carries field values, but this entry has none \
                     listed (an entry without values has \"values\": [])"
                        .to_owned()
                } else {
                    "this entry carries field values, but the header says the export has none"
                        .to_owned()
                },
            ));
        }
        let vault = l
            .values
            .unwrap_or_default()
            .into_iter()
            .map(|v| {
                BASE64
                    .decode(&v.item)
                    .ok()
                    .filter(|b| b.len() >= 32)
                    .map(|b| (v.name.clone(), b))
                    .ok_or_else(|| {
                        bad(
                            n,
                            format!(
                                "the value of field {:?} is not base64 salt (32 bytes) and value",
                                v.name
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let bytes = BASE64
            .decode(&l.entry)
            .map_err(|e| bad(n, format!("entry is not base64 ({e})")))?;
        let signature: [u8; 64] = BASE64
            .decode(&l.signature)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| bad(n, "signature is not 64 bytes of base64".into()))?;
        let hash = leaf_hash(&bytes);
        if hex::encode(hash) != l.hash.to_ascii_lowercase() {
            return Err(bad(
                n,
                format!(
                    "hash {} does not match the entry bytes ({})",
                    l.hash,
                    hex::encode(hash)
                ),
            ));
        }
        if l.seq != records.len() as u64 {
            return Err(bad(
                n,
                format!(
                    "entry #{} is out of order (expected #{})",
                    l.seq,
                    records.len()
                ),
            ));
        }
        records.push(NewRecord {
            seq: l.seq,
            bytes,
            signature,
            hash,
            vault,
            erase: Vec::new(),
        });
    }
    if records.len() as u64 != header.entries || checkpoints.len() as u64 != header.checkpoints {
        return Err(bad(
            records.len() + checkpoints.len() + 2,
            format!(
                "the header promises {} entries and {} checkpoints but the file holds {} and {}; \
                 it may be truncated",
                header.entries,
                header.checkpoints,
                records.len(),
                checkpoints.len()
            ),
        ));
    }
    Ok((header, records, checkpoints))
}
