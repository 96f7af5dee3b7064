//! An evidence bundle in memory, and writing it to a new directory (all or nothing, flushed to
//! disk before the command returns).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use evidence_verify::{ENTRIES_DIR, EvidenceReport, Manifest};

use super::EvidenceError;
use crate::files::{WriteFileError, create_private_dir, create_private_file};

/// How many files are written and flushed together (each group's files are open at once).
const FLUSH_GROUP: usize = 128;

/// An evidence bundle in memory: its files by relative path.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub(super) files: BTreeMap<String, Vec<u8>>,
    pub(super) manifest: Manifest,
    pub(super) report: EvidenceReport,
}

impl Bundle {
    /// The files, by relative path (`/`-separated), manifest included.
    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The bundle's own verification report, made against the ledger's genesis trust roots.
    pub fn report(&self) -> &EvidenceReport {
        &self.report
    }

    /// Total size of the files in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|f| f.len() as u64).sum()
    }

    /// Writes the bundle to the new directory `dir`, refusing one that exists. On failure the
    /// partly written directory is removed.
    pub fn write(&self, dir: &Path) -> Result<(), EvidenceError> {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|source| EvidenceError::Io {
                action: "create",
                path: parent.to_owned(),
                source,
            })?;
        }
        // Owner-only (0700): the openings hold confidential field values.
        create_private_dir(dir).map_err(|e| match e {
            WriteFileError::Exists { path } => EvidenceError::DirExists { path },
            other => EvidenceError::Output(other),
        })?;
        let result = self.write_files(dir);
        if result.is_err() {
            let _ = fs::remove_dir_all(dir);
        }
        result
    }

    fn write_files(&self, dir: &Path) -> Result<(), EvidenceError> {
        use std::io::Write as _;
        let entries = dir.join(ENTRIES_DIR);
        create_private_dir(&entries)?;
        // Written and flushed in groups: all of a group's flushes run at once (the file system
        // commits concurrent flushes together, which takes a bundle's wall time from one disk
        // flush per file to a few), and a group stays well under the open-file limit however
        // many files a dossier holds.
        let files: Vec<(&String, &Vec<u8>)> = self.files.iter().collect();
        for group in files.chunks(FLUSH_GROUP) {
            let mut written = Vec::with_capacity(group.len());
            for (rel, bytes) in group {
                let path = dir.join(rel);
                let mut f = create_private_file(&path)?;
                f.write_all(bytes).map_err(|source| EvidenceError::Io {
                    action: "write",
                    path: path.clone(),
                    source,
                })?;
                written.push((path, f));
            }
            std::thread::scope(|s| {
                let flushes: Vec<_> = written
                    .iter()
                    .map(|(path, f)| s.spawn(move || f.sync_all().map_err(|e| (path.clone(), e))))
                    .collect();
                flushes
                    .into_iter()
                    .map(|h| h.join().expect("a flush thread does not panic"))
                    .collect::<Result<Vec<()>, _>>()
            })
            .map_err(|(path, source)| EvidenceError::Io {
                action: "write",
                path,
                source,
            })?;
        }
        // Make the new directory entries durable too.
        for d in [entries.as_path(), dir] {
            fs::File::open(d)
                .and_then(|f| f.sync_all())
                .map_err(|source| EvidenceError::Io {
                    action: "write",
                    path: d.to_owned(),
                    source,
                })?;
        }
        Ok(())
    }
}
