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
use crate::verify::{IntegrityStatus, VerifyOptions, verify_store};

/// The `format` value of an export's header line.
pub const EXPORT_FORMAT: &str = "disclosure-ledger-export";
/// The export format version this build writes and reads.
pub const EXPORT_VERSION: u32 = 1;

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

/// Writes the whole log to `out` as JSON Lines; returns the number of entries.
pub fn export(store: &Store, out: &mut impl Write) -> Result<u64, ExportError> {
    let header = ExportHeader {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        entry_format: crate::model::FORMAT_VERSION,
        entries: store.len()?,
    };
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
        let line = ExportLine {
            seq: r.key,
            hash: hex::encode(leaf_hash(&r.bytes)),
            entry: BASE64.encode(&r.bytes),
            signature: BASE64.encode(signature),
            view: serde_json::to_value(&entry).expect("entries serialize to JSON"),
        };
        writeln!(
            out,
            "{}",
            serde_json::to_string(&line).expect("line serializes")
        )?;
        n += 1;
        Ok::<_, ExportError>(())
    })?;
    Ok(n)
}

/// Creates a new ledger at `path` from an export, byte for byte, and verifies it; on any
/// failure the new file is removed. Returns the number of entries imported.
pub fn import(input: impl BufRead, path: &Path) -> Result<u64, ImportError> {
    let records = read_export(input)?;
    let store = Store::create(path)?;
    // An export carries no field values: the copy says so, and is not failed for it.
    store.mark_without_vault()?;
    let result = (|| {
        store.append(&records)?;
        let verified = verify_store(&store, &VerifyOptions::default())
            .map_err(|e| ImportError::Io(std::io::Error::other(e.to_string())))?;
        if verified.report.status != IntegrityStatus::Intact {
            let f = &verified.report.failures;
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
        Ok(records.len() as u64)
    })();
    if result.is_err() {
        drop(store);
        let _ = std::fs::remove_file(path);
    }
    result
}

fn read_export(mut input: impl BufRead) -> Result<Vec<NewRecord>, ImportError> {
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
    if header.format != EXPORT_FORMAT || header.version != EXPORT_VERSION {
        return Err(bad(
            1,
            format!(
                "format {:?} version {} is not {EXPORT_FORMAT:?} version {EXPORT_VERSION}",
                header.format, header.version
            ),
        ));
    }
    let mut records = Vec::new();
    let mut line = String::new();
    for n in 2.. {
        if !next_line(n, &mut line)? {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let l: ExportLine =
            serde_json::from_str(&line).map_err(|e| bad(n, format!("not an entry line ({e})")))?;
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
            vault: Vec::new(),
            erase: Vec::new(),
        });
    }
    if records.len() as u64 != header.entries {
        return Err(bad(
            records.len() + 1,
            format!(
                "the header promises {} entries but the file holds {}; it may be truncated",
                header.entries,
                records.len()
            ),
        ));
    }
    Ok(records)
}
