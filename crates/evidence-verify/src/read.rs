//! Reading a bundle directory as hostile input: sizes limited before reading, symbolic links,
//! devices and unknown files refused.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::Path;

use ledger_core::codec::MAX_ENTRY_BYTES;

use crate::error::*;
use crate::format::*;
use crate::report::*;

// Reading a bundle directory
// ---------------------------------------------------------------------------

/// The size limit of a bundle file, by path; `None` for a path that is not a bundle file.
pub(crate) fn limit_for(path: &str) -> Option<u64> {
    match path {
        MANIFEST_FILE => Some(MAX_MANIFEST_BYTES),
        README_FILE | SUMMARY_FILE => Some(MAX_TEXT_BYTES),
        CHECKPOINT_FILE => Some(MAX_NOTE_BYTES),
        OPENINGS_FILE => Some(MAX_OPENINGS_BYTES),
        INDEX_FILE => Some(MAX_INDEX_BYTES),
        DOSSIER_HTML_FILE => Some(MAX_INDEX_BYTES),
        DOSSIER_ENTRIES_FILE => Some(MAX_BUNDLE_BYTES),
        _ => {
            let (seq, ext) = path
                .strip_prefix(ENTRIES_DIR)?
                .strip_prefix('/')?
                .split_once('.')?;
            parse_seq(seq)?;
            match ext {
                "bin" => Some(MAX_ENTRY_BYTES as u64),
                "sig" => Some(MAX_SIG_BYTES),
                "tlog-proof" => Some(MAX_PROOF_BYTES),
                _ => None,
            }
        }
    }
}

/// A decimal sequence number without leading zeros.
pub(crate) fn parse_seq(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let meta = fs::symlink_metadata(path).map_err(|e| format!("cannot be read ({e})"))?;
    if !meta.file_type().is_file() {
        return Err("is not a regular file (symbolic links and devices are refused)".into());
    }
    if meta.len() > limit {
        return Err(format!(
            "is {} bytes, more than the {limit} a bundle file of this kind may have",
            meta.len()
        ));
    }
    let file = fs::File::open(path).map_err(|e| format!("cannot be read ({e})"))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read ({e})"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "is more than the {limit} bytes a bundle file of this kind may have"
        ));
    }
    Ok(bytes)
}

/// Reads the files of a bundle directory, refusing (as failed `files` checks) anything that is
/// not a bundle file or exceeds its limit.
pub(crate) fn read_bundle_dir(dir: &Path) -> Result<(Files, Vec<Check>), ReadError> {
    let meta = fs::metadata(dir).map_err(|e| ReadError::NotABundle {
        path: dir.to_owned(),
        reason: format!("it cannot be opened ({e})"),
    })?;
    if !meta.is_dir() {
        return Err(ReadError::NotABundle {
            path: dir.to_owned(),
            reason: "it is not a directory; pass the directory `dledger evidence` wrote".into(),
        });
    }
    let mut checks = Vec::new();
    let mut fail = |detail: String| {
        checks.push(Check {
            name: CheckName::Files,
            ok: false,
            detail,
        })
    };
    let list = |d: &Path| -> Result<Vec<(String, fs::FileType)>, ReadError> {
        let io = |source| ReadError::Io {
            action: "read",
            path: d.to_owned(),
            source,
        };
        let mut out = Vec::new();
        for item in fs::read_dir(d).map_err(io)? {
            let item = item.map_err(io)?;
            let name = item.file_name().to_string_lossy().into_owned();
            out.push((name, item.file_type().map_err(io)?));
            if out.len() > 4 * MAX_DOSSIER_ENTRIES + 16 {
                break;
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    };
    let mut paths = Vec::new();
    for (name, kind) in list(dir)? {
        if name == ENTRIES_DIR && kind.is_dir() {
            for (inner, _) in list(&dir.join(ENTRIES_DIR))? {
                paths.push(format!("{ENTRIES_DIR}/{inner}"));
            }
        } else {
            paths.push(name);
        }
    }
    if paths.len() > 3 * MAX_DOSSIER_ENTRIES + 8 {
        fail(format!(
            "the directory holds more than {} files, more than any bundle or dossier has",
            3 * MAX_DOSSIER_ENTRIES + 8
        ));
        return Ok((BTreeMap::new(), checks));
    }
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    for path in paths {
        let Some(limit) = limit_for(&path) else {
            fail(format!(
                "{path} is not a file an evidence bundle holds; remove it (bundles are checked \
                 exactly as written)"
            ));
            continue;
        };
        match read_limited(&dir.join(&path), limit) {
            Ok(bytes) => {
                total += bytes.len() as u64;
                if total > MAX_BUNDLE_BYTES {
                    fail(format!(
                        "the bundle holds more than {MAX_BUNDLE_BYTES} bytes; reading stopped"
                    ));
                    break;
                }
                files.insert(path, bytes);
            }
            Err(reason) => fail(format!("{path} {reason}")),
        }
    }
    Ok((files, checks))
}

// ---------------------------------------------------------------------------
