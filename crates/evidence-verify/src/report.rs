//! The verification report: every check made, with its verdict and a plain-language detail,
//! and the facts the verified entries establish.

use std::fmt::Write as _;

use serde::Serialize;

use ledger_core::model::{PartyId, Timestamp};

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

/// The checks `verify_bundle` runs; each appears in the report once per thing checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckName {
    /// The directory holds only bundle files, each within its size limit.
    Files,
    /// `manifest.json` parses, is a known version, and every file matches its SHA-256.
    Manifest,
    /// The genesis entry's trust roots include the trusted keys of the parties relied on.
    TrustRoots,
    /// An entry file decodes (docs/FORMAT.md) and is the entry it claims to be.
    EntryDecode,
    /// An entry's signature verifies under a key its party held at that point.
    EntrySignature,
    /// An entry's leaf hash matches the manifest.
    LeafHash,
    /// The key history replays: each key entry signed by a then-valid key and well-formed.
    KeyHistory,
    /// An entry's inclusion proof leads to the checkpoint's root.
    InclusionProof,
    /// The checkpoint parses, is for this ledger and is signed by a party as log operator.
    CheckpointSignature,
    /// The checkpoint is cosigned by a different party.
    Cosignature,
    /// Each entry is related to the target as its role says (acknowledgement, correction...).
    References,
    /// The index proofs show the bundle holds every entry referring to the target and the whole
    /// key history of every party relied on — no more, no fewer (or say it is not proven).
    Completeness,
    /// An opened field reproduces its commitment (or is stated as erased).
    FieldOpening,
    /// The bundle's checkpoint is the newer cosigned checkpoint the checker gave, or a prefix
    /// of it (stale), or not (a fork).
    Freshness,
    /// `summary.txt` says exactly what the verified entries say.
    Summary,
}

impl CheckName {
    /// The kebab-case name shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Files => "files",
            CheckName::Manifest => "manifest",
            CheckName::TrustRoots => "trust-roots",
            CheckName::EntryDecode => "entry-decode",
            CheckName::EntrySignature => "entry-signature",
            CheckName::LeafHash => "leaf-hash",
            CheckName::KeyHistory => "key-history",
            CheckName::InclusionProof => "inclusion-proof",
            CheckName::CheckpointSignature => "checkpoint-signature",
            CheckName::Cosignature => "cosignature",
            CheckName::References => "references",
            CheckName::Completeness => "completeness",
            CheckName::Freshness => "freshness",
            CheckName::FieldOpening => "field-opening",
            CheckName::Summary => "summary",
        }
    }
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// Whether it passed.
    pub ok: bool,
    /// What was checked and found, in plain words.
    pub detail: String,
}

/// What the bundle shows about one field of the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldReport {
    /// Field name.
    pub name: String,
    /// `opened`, `erased` or `not-opened`.
    pub status: &'static str,
    /// The opened value (only when opened and it matches its commitment).
    pub value: Option<String>,
    /// When the value was erased (only when erased).
    pub erased_at: Option<Timestamp>,
}

/// A verified cosignature on the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cosigner {
    /// The cosigning party.
    pub party: PartyId,
    /// Its key name.
    pub key: String,
    /// When it cosigned.
    pub at: Timestamp,
}

/// The outcome of verifying a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceReport {
    /// True when every check passed.
    pub ok: bool,
    /// The ledger's origin, if the manifest could be read.
    pub origin: Option<String>,
    /// The target entry, if the manifest could be read.
    pub target: Option<u64>,
    /// The checkpoint's tree size, if it could be read.
    pub tree_size: Option<u64>,
    /// Number of hashes in the target's inclusion proof, if it could be read.
    pub proof_hashes: Option<usize>,
    /// The party that signed the checkpoint as log operator, if its signature verified.
    pub checkpoint_signer: Option<PartyId>,
    /// Parties whose cosignature verified.
    pub cosigners: Vec<Cosigner>,
    /// The target's fields.
    pub fields: Vec<FieldReport>,
    /// Every check, in the order run.
    pub checks: Vec<Check>,
    /// The plain-language summary of the entries (empty if the target could not be read).
    pub summary: String,
}

impl EvidenceReport {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    /// Whether a check of this name failed.
    pub fn failed(&self, name: CheckName) -> bool {
        self.failures().any(|c| c.name == name)
    }

    /// Plain-language text: the verdict, every check, then the summary.
    pub fn to_text(&self, bundle: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Evidence bundle: {bundle}");
        let failed = self.failures().count();
        if self.ok {
            let _ = writeln!(
                out,
                "Result: VERIFIED. All {} checks passed: the entries are genuine, signed by keys \
                 their regulators held at the time, and part of the ledger's history as both \
                 regulators signed it.",
                self.checks.len()
            );
        } else {
            let _ = writeln!(
                out,
                "Result: FAILED. {failed} of {} checks failed (marked FAIL below). Do not rely on \
                 this bundle; ask whoever supplied it for a fresh copy made with `dledger \
                 evidence`.",
                self.checks.len()
            );
        }
        let _ = writeln!(out, "\nChecks:");
        for c in &self.checks {
            let _ = writeln!(
                out,
                "  {:<4}  {:<20}  {}",
                if c.ok { "ok" } else { "FAIL" },
                c.name.as_str(),
                c.detail
            );
        }
        if !self.summary.is_empty() {
            let _ = writeln!(out);
            if !self.ok {
                let _ = writeln!(
                    out,
                    "What the bundle claims (NOT VERIFIED: see the failed checks above):\n"
                );
            }
            out.push_str(&self.summary);
        }
        out
    }
}
