//! The checks a bundle must pass, in order: manifest, files, entries, signatures, inclusion
//! proofs, checkpoint and cosignatures, openings and the summary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use ledger_core::hash::{Digest, sha256};
use ledger_core::keys::PublicKey;
use ledger_core::model::{Body, Entry, PartyId, Seq};
use ledger_core::registers::Registers;
use tlog::{Checkpoint, Note};

use crate::error::*;
use crate::format::*;
use crate::read::*;
use crate::report::*;
use crate::summary::*;
use crate::trust::*;

mod checkpoint;
mod completeness;
mod dossier;
mod entries;
mod freshness;
mod openings;
mod references;
mod signatures;

use signatures::*;

pub(crate) use completeness::Completeness;
pub use completeness::relied_parties;
pub(crate) use dossier::DossierFacts;
pub use dossier::DossierRow;
pub(crate) use dossier::analyze_dossier;
pub use freshness::{NewerCheckpoint, check_freshness};

/// Verifies the bundle in directory `dir` offline, against `trusted` keys (the parties' trust
/// roots). Returns a report listing every check; `Err` only when `dir` cannot be read at all.
pub fn verify_bundle(dir: &Path, trusted: &[PublicKey]) -> Result<EvidenceReport, ReadError> {
    let (files, checks) = read_bundle_dir(dir)?;
    Ok(verify_files_after(&files, trusted, checks))
}

pub(crate) fn failed_report(checks: Vec<Check>) -> EvidenceReport {
    EvidenceReport {
        ok: false,
        origin: None,
        target: None,
        tree_size: None,
        proof_hashes: None,
        checkpoint_signer: None,
        cosigners: Vec::new(),
        fields: Vec::new(),
        checks,
        summary: String::new(),
    }
}

/// [`verify_bundle`], then the freshness of its checkpoint against a newer cosigned checkpoint
/// the checker obtained independently ([`check_freshness`]): the report passes only if the
/// bundle is at that checkpoint; a stale bundle or a fork fails, saying which.
pub fn verify_bundle_against(
    dir: &Path,
    trusted: &[PublicKey],
    newer: &NewerCheckpoint,
) -> Result<EvidenceReport, ReadError> {
    let (files, checks) = read_bundle_dir(dir)?;
    let mut report = verify_files_after(&files, trusted, checks);
    report.checks.push(check_freshness(&files, trusted, newer));
    report.ok = report.checks.iter().all(|c| c.ok);
    Ok(report)
}

/// Verifies a bundle given in memory, as files by relative path (`/`-separated), against
/// `trusted` keys: the same checks as [`verify_bundle`] makes on a directory.
pub fn verify_files(files: &Files, trusted: &[PublicKey]) -> EvidenceReport {
    verify_files_after(files, trusted, Vec::new())
}

/// [`verify_files`], after the checks already made while reading the files (`checks`).
fn verify_files_after(
    files: &BTreeMap<String, Vec<u8>>,
    trusted: &[PublicKey],
    mut checks: Vec<Check>,
) -> EvidenceReport {
    let fail = |detail: String| Check {
        name: CheckName::Manifest,
        ok: false,
        detail,
    };
    let Some(bytes) = files.get(MANIFEST_FILE) else {
        checks.push(fail(format!(
            "{MANIFEST_FILE} is missing or unreadable; without it the bundle cannot be checked"
        )));
        return failed_report(checks);
    };
    // Format and version first, so that a newer bundle is told apart from a damaged one.
    #[derive(Deserialize)]
    struct Version {
        format: Option<String>,
        version: Option<u32>,
    }
    if let Ok(v) = serde_json::from_slice::<Version>(bytes)
        && v.format.as_deref() == Some(DOSSIER_FORMAT)
    {
        if v.version != Some(DOSSIER_VERSION) {
            checks.push(fail(format!(
                "{MANIFEST_FILE} is a dossier of version {}, but this build reads version \
                 {DOSSIER_VERSION}; if it is newer, upgrade dledger",
                v.version.map_or("(none)".to_owned(), |n| n.to_string())
            )));
            return failed_report(checks);
        }
        return verify_dossier_after(bytes, files, trusted, checks);
    }
    if let Ok(v) = serde_json::from_slice::<Version>(bytes)
        && (v.format.as_deref() != Some(BUNDLE_FORMAT)
            || !v
                .version
                .is_some_and(|n| (OLDEST_BUNDLE_VERSION..=BUNDLE_VERSION).contains(&n)))
    {
        checks.push(fail(format!(
            "{MANIFEST_FILE} is format {:?} version {}, but this build reads {BUNDLE_FORMAT:?} \
             versions {OLDEST_BUNDLE_VERSION} to {BUNDLE_VERSION}; if it is a newer bundle, upgrade dledger",
            v.format.unwrap_or_default(),
            v.version.map_or("(none)".to_owned(), |n| n.to_string())
        )));
        return failed_report(checks);
    }
    let manifest: Manifest = match serde_json::from_slice(bytes) {
        Ok(m) => m,
        Err(e) => {
            checks.push(fail(format!(
                "{MANIFEST_FILE} is not a valid manifest ({e}); the bundle cannot be checked"
            )));
            return failed_report(checks);
        }
    };
    checks.extend(check_manifest_files(&manifest, files));
    let mut report = analyze(&manifest, files, trusted);
    checks.append(&mut report.checks);
    report.checks = checks;
    match files.get(SUMMARY_FILE) {
        Some(s) if s.as_slice() == report.summary.as_bytes() => report.checks.push(Check {
            name: CheckName::Summary,
            ok: true,
            detail: format!("{SUMMARY_FILE} says exactly what the verified entries say"),
        }),
        Some(_) => report.checks.push(Check {
            name: CheckName::Summary,
            ok: false,
            detail: format!(
                "{SUMMARY_FILE} differs from the summary derived from the entries; do not rely on \
                 it (the summary printed here is derived from the entries)"
            ),
        }),
        None => report.checks.push(Check {
            name: CheckName::Summary,
            ok: false,
            detail: format!("{SUMMARY_FILE} is missing"),
        }),
    }
    report.ok = report.checks.iter().all(|c| c.ok);
    report
}

/// A dossier's checks after its manifest's format and version.
fn verify_dossier_after(
    bytes: &[u8],
    files: &Files,
    trusted: &[PublicKey],
    mut checks: Vec<Check>,
) -> EvidenceReport {
    let manifest: Manifest = match serde_json::from_slice::<Manifest>(bytes) {
        Ok(m) if m.dossier.is_some() => m,
        Ok(_) => {
            checks.push(Check {
                name: CheckName::Manifest,
                ok: false,
                detail: format!("{MANIFEST_FILE} says it is a dossier but names no company"),
            });
            return failed_report(checks);
        }
        Err(e) => {
            checks.push(Check {
                name: CheckName::Manifest,
                ok: false,
                detail: format!("{MANIFEST_FILE} is not a valid manifest ({e})"),
            });
            return failed_report(checks);
        }
    };
    checks.extend(check_manifest_files(&manifest, files));
    let files = match crate::packed::unpack_entries(files) {
        Ok(f) => f,
        Err(why) => {
            checks.push(Check {
                name: CheckName::Files,
                ok: false,
                detail: why,
            });
            return failed_report(checks);
        }
    };
    let files = &files;
    let (mut report, html) = analyze_dossier(&manifest, files, trusted);
    checks.append(&mut report.checks);
    report.checks = checks;
    for (file, derived) in [(SUMMARY_FILE, &report.summary), (DOSSIER_HTML_FILE, &html)] {
        let (ok, detail) = match files.get(file) {
            Some(s) if s.as_slice() == derived.as_bytes() => (
                true,
                format!("{file} says exactly what the verified entries say"),
            ),
            Some(_) => (
                false,
                format!(
                    "{file} differs from what the entries give; do not rely on it (the summary \
                     printed here is derived from the entries)"
                ),
            ),
            None => (false, format!("{file} is missing")),
        };
        report.checks.push(Check {
            name: CheckName::Summary,
            ok,
            detail,
        });
    }
    report.ok = report.checks.iter().all(|c| c.ok);
    report
}

/// A dossier's derived report and HTML page (what `summary.txt` and `dossier.html` must say),
/// for the builder.
pub fn derive_dossier(
    manifest: &Manifest,
    files: &Files,
    trusted: &[PublicKey],
) -> (EvidenceReport, String) {
    // Read from `entries.jsonl` when the entries are packed, as `verify-evidence` reads them.
    match crate::packed::unpack_entries(files) {
        Ok(unpacked) => analyze_dossier(manifest, &unpacked, trusted),
        Err(why) => (
            failed_report(vec![Check {
                name: CheckName::Files,
                ok: false,
                detail: why,
            }]),
            String::new(),
        ),
    }
}

/// The manifest's file list against the files present.
pub(crate) fn check_manifest_files(
    manifest: &Manifest,
    files: &BTreeMap<String, Vec<u8>>,
) -> Vec<Check> {
    let mut out = Vec::new();
    let mut fail = |detail: String| {
        out.push(Check {
            name: CheckName::Manifest,
            ok: false,
            detail,
        })
    };
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        if !listed.insert(f.path.as_str()) {
            fail(format!("{} is listed twice", f.path));
            continue;
        }
        if f.path == MANIFEST_FILE || limit_for(&f.path).is_none() {
            fail(format!("it lists {:?}, which is not a bundle file", f.path));
            continue;
        }
        match files.get(&f.path) {
            None => fail(format!("{} is listed but missing from the bundle", f.path)),
            Some(bytes) => {
                let digest = hex::encode(sha256(bytes));
                if digest != f.sha256.to_ascii_lowercase() || bytes.len() as u64 != f.bytes {
                    fail(format!(
                        "{} has SHA-256 {digest} ({} bytes) but the manifest lists {} ({} bytes): \
                         the file was changed or damaged",
                        f.path,
                        bytes.len(),
                        f.sha256,
                        f.bytes
                    ));
                }
            }
        }
    }
    for path in files.keys() {
        if path != MANIFEST_FILE && !listed.contains(path.as_str()) {
            fail(format!(
                "{path} is in the bundle but not listed in the manifest"
            ));
        }
    }
    // A dossier's entries are packed in one file (unpacked before they are checked).
    let packed = manifest.dossier.is_some();
    for e in manifest.entries.iter().filter(|_| !packed) {
        for ext in ["bin", "sig", "tlog-proof"] {
            let p = entry_path(Seq(e.seq), ext);
            if !listed.contains(p.as_str()) {
                fail(format!(
                    "entry #{} is listed but its file {p} is not in the file list",
                    e.seq
                ));
            }
        }
    }
    if out.is_empty() {
        out.push(Check {
            name: CheckName::Manifest,
            ok: true,
            detail: format!(
                "{} files listed, each present with the SHA-256 the manifest gives; no other files",
                manifest.files.len()
            ),
        });
    }
    out
}

/// An entry of the bundle as read.
pub(crate) struct Item<'a> {
    seq: u64,
    claimed: &'a ManifestEntry,
    bytes: &'a [u8],
    entry: Option<Entry>,
    leaf: Digest,
}

/// Pass/fail results, in the order found.
pub(crate) struct Checks(Vec<Check>);

impl Checks {
    fn pass(&mut self, name: CheckName, detail: String) {
        self.0.push(Check {
            name,
            ok: true,
            detail,
        });
    }

    fn fail(&mut self, name: CheckName, detail: String) {
        self.0.push(Check {
            name,
            ok: false,
            detail,
        });
    }

    fn any_failed(&self, name: CheckName) -> bool {
        self.0.iter().any(|c| c.name == name && !c.ok)
    }
}

/// The entries that refer to the target, found by [`Analysis::check_references`].
#[derive(Default)]
pub(crate) struct Related {
    acks: Vec<u64>,
    corrections: Vec<u64>,
    superseded: Option<u64>,
    dispositions: Vec<u64>,
    erasures: Vec<u64>,
    confirmations: Vec<u64>,
}

/// One verification of a bundle's content: what has been established so far, and the checks.
pub(crate) struct Analysis<'a> {
    manifest: &'a Manifest,
    files: &'a Files,
    trusted: &'a [PublicKey],
    checks: Checks,
    /// The entries, by sequence number.
    items: Vec<Item<'a>>,
    /// Registers replayed from the genesis entry and the valid key changes.
    reg: Registers,
    /// Whether a genesis entry was read.
    has_genesis: bool,
    /// Parties whose trust root is a trusted key.
    trusted_parties: BTreeSet<PartyId>,
    /// Party names from the genesis entry.
    party_names: BTreeMap<PartyId, String>,
    /// The parsed checkpoint.
    checkpoint: Option<(Checkpoint, Note)>,
    report: EvidenceReport,
}

/// Checks the content of a bundle (everything but the manifest's file list and summary.txt)
/// and derives the summary. Used both to build a bundle and to verify one.
pub fn analyze(manifest: &Manifest, files: &Files, trusted: &[PublicKey]) -> EvidenceReport {
    let mut a = Analysis::new(manifest, files, trusted);
    a.report.target = Some(manifest.target);
    if let Some(cp) = a.check_entries_and_checkpoint() {
        let related = a.check_references();
        let complete = a.check_completeness(&related, cp.as_ref());
        a.check_openings();
        a.summarize(cp.as_ref(), &related, &complete);
    }
    a.report.checks = a.checks.0;
    a.report.ok = a.report.checks.iter().all(|c| c.ok);
    a.report
}

impl<'a> Analysis<'a> {
    /// A fresh analysis of the bundle or dossier `manifest` describes.
    pub(crate) fn new(
        manifest: &'a Manifest,
        files: &'a Files,
        trusted: &'a [PublicKey],
    ) -> Analysis<'a> {
        let mut report = failed_report(Vec::new());
        report.origin = Some(manifest.origin.clone());
        Analysis {
            manifest,
            files,
            trusted,
            checks: Checks(Vec::new()),
            items: Vec::new(),
            reg: Registers::default(),
            has_genesis: false,
            trusted_parties: BTreeSet::new(),
            party_names: BTreeMap::new(),
            checkpoint: None,
            report,
        }
    }

    /// The checks every bundle and dossier starts with: its entries decode, the genesis entry
    /// and key history hold, every entry is signed by a key its party held, the checkpoint is
    /// read and every inclusion proof leads to it, and the checkpoint's signatures. `None` if
    /// the entries cannot be read at all; else what the checkpoint's signatures established.
    pub(super) fn check_entries_and_checkpoint(&mut self) -> Option<Option<CheckpointFacts>> {
        if !self.decode_entries() {
            return None;
        }
        self.check_genesis();
        self.replay_key_history();
        self.check_other_signatures();
        self.read_checkpoint();
        self.check_inclusion_proofs();
        Some(self.check_checkpoint_signatures())
    }

    fn entry_of(&self, seq: u64) -> Option<&Entry> {
        // Items are in manifest order, normally by sequence number: a binary search, checked,
        // then a scan for a manifest out of order.
        match self.items.binary_search_by_key(&seq, |i| i.seq) {
            Ok(i) => self.items[i].entry.as_ref(),
            Err(_) => self
                .items
                .iter()
                .find(|i| i.seq == seq)
                .and_then(|i| i.entry.as_ref()),
        }
    }

    /// Derives the plain-language summary.
    fn summarize(
        &mut self,
        cp: Option<&CheckpointFacts>,
        related: &Related,
        complete: &Completeness,
    ) {
        let Some(t) = self.entry_of(self.manifest.target) else {
            return;
        };
        let of = |seqs: &[u64]| -> Vec<&Entry> {
            seqs.iter().filter_map(|s| self.entry_of(*s)).collect()
        };
        let acks = of(&related.acks);
        let corrections = of(&related.corrections);
        let dispositions = of(&related.dispositions);
        let summary = summary_text(&Facts {
            origin: &self.manifest.origin,
            names: &self.party_names,
            target: t,
            target_hash: self
                .items
                .iter()
                .find(|i| i.seq == self.manifest.target)
                .map(|i| i.leaf)
                .unwrap_or_default(),
            target_key: key_label(&self.reg, &t.signer.party, t.signer.key_id),
            acks: &acks,
            corrections: &corrections,
            dispositions: &dispositions,
            superseded: related.superseded.and_then(|s| self.entry_of(s)),
            fields: &self.report.fields,
            checkpoint: cp,
            complete,
        });
        self.report.summary = summary;
    }
}

/// The role an entry plays relative to the target (entry `target_seq`), derived from its
/// content; `None` if it has no place in the target's bundle.
pub fn derive_role(target_seq: u64, target: &Entry, e: &Entry) -> Option<Role> {
    let seq = e.seq.0;
    if seq == target_seq {
        return Some(Role::Target);
    }
    if seq == 0 {
        return matches!(e.body, Body::Genesis(_)).then_some(Role::Genesis);
    }
    if is_key_history(e.body.kind()) {
        return Some(Role::KeyHistory);
    }
    if let Body::Correction(c) = &target.body
        && c.supersedes.0 == seq
    {
        return Some(Role::Superseded);
    }
    match &e.body {
        Body::Acknowledgement(a) if a.disclosure.0 == target_seq => Some(Role::Acknowledgement),
        Body::Correction(c) if c.supersedes.0 == target_seq => Some(Role::Correction),
        Body::Disposition(d)
            if d.entry.0 == target_seq || d.correction == Some(Seq(target_seq)) =>
        {
            Some(Role::Disposition)
        }
        Body::Erasure(x) if x.fields.iter().any(|f| f.entry.0 == target_seq) => Some(Role::Erasure),
        Body::Confirmed(c) if c.proposal.0 == target_seq => Some(Role::Confirmation),
        Body::DesignationConfirmed(c) if c.proposal.0 == target_seq => Some(Role::Confirmation),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
