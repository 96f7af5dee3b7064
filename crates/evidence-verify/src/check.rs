//! The checks a bundle must pass, in order: manifest, files, entries, signatures, inclusion
//! proofs, checkpoint and cosignatures, openings and the summary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use ledger_core::checkpoints::party_keys;
use ledger_core::codec::{self};
use ledger_core::hash::{Digest, field_commitment, leaf_hash, sha256};
use ledger_core::keys::{PublicKey, verify_entry_signature};
use ledger_core::model::{Body, Entry, PartyId, Seq, Timestamp};
use ledger_core::registers::{KeyStatus, Registers};
use ledger_core::rules;
use tlog::{Checkpoint, KeyKind, Note, TlogProof};

use crate::error::*;
use crate::format::*;
use crate::read::*;
use crate::report::*;
use crate::summary::*;
use crate::trust::*;

// Verifying
// ---------------------------------------------------------------------------

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
        && (v.format.as_deref() != Some(BUNDLE_FORMAT) || v.version != Some(BUNDLE_VERSION))
    {
        checks.push(fail(format!(
            "{MANIFEST_FILE} is format {:?} version {}, but this build reads {BUNDLE_FORMAT:?} \
             version {BUNDLE_VERSION}; if it is a newer bundle, upgrade dledger",
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
    for e in &manifest.entries {
        for ext in ["bin", "sig", "tlog-proof"] {
            let p = entry_path(e.seq, ext);
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

/// Reads `entries/<seq>.sig` defensively.
pub(crate) fn signature_of(files: &Files, seq: u64) -> Result<[u8; 64], String> {
    let path = entry_path(seq, "sig");
    let bytes = files.get(&path).ok_or(format!("{path} is missing"))?;
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{path} is not text"))?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    BASE64
        .decode(text)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or(format!(
            "{path} is not a base64 Ed25519 signature (64 bytes)"
        ))
}

/// `name (keyid)` for a party's key, or just the id if the key is unknown.
pub(crate) fn key_label(reg: &Registers, party: &PartyId, id: ledger_core::model::KeyId) -> String {
    reg.public_key(party, id)
        .map(|k| format!("{} ({id})", k.name))
        .unwrap_or_else(|| format!("{id}"))
}

/// Verifies one entry's signature under the key its party holds at its position (the genesis
/// entry: its signer's trust root), and that the party is trusted.
pub(crate) fn check_signature(
    checks: &mut Checks,
    reg: &Registers,
    trusted_parties: &BTreeSet<PartyId>,
    files: &Files,
    item: &Item,
    e: &Entry,
) -> bool {
    let seq = item.seq;
    let party = &e.signer.party;
    let id = e.signer.key_id;
    let sig = match signature_of(files, seq) {
        Ok(s) => s,
        Err(why) => {
            checks.fail(CheckName::EntrySignature, format!("#{seq}: {why}"));
            return false;
        }
    };
    let key = if seq == 0 {
        match &e.body {
            Body::Genesis(g) => g
                .parties
                .iter()
                .find(|p| &p.id == party && p.trust_root.key_id == id)
                .and_then(|p| PublicKey::from_record(&p.trust_root).ok()),
            _ => None,
        }
    } else {
        match reg.key_status(party, id, Seq(seq)) {
            KeyStatus::Valid => reg.public_key(party, id).cloned(),
            KeyStatus::Ended(at) => {
                checks.fail(
                    CheckName::EntrySignature,
                    format!(
                        "#{seq}: signed with {party}'s key {id}, which was rotated or revoked at \
                             {at}, before this entry"
                    ),
                );
                return false;
            }
            KeyStatus::UnknownParty | KeyStatus::UnknownKey => None,
        }
    };
    let Some(key) = key else {
        checks.fail(
            CheckName::EntrySignature,
            format!(
                "#{seq}: signed with key {id}, which is not a key {party} held at this point \
                     according to the genesis entry and key history in the bundle"
            ),
        );
        return false;
    };
    if !trusted_parties.contains(party) {
        checks.fail(
            CheckName::EntrySignature,
            format!("#{seq}: signed by {party}, whose trust root is not among the trusted keys"),
        );
        return false;
    }
    if verify_entry_signature(&key.key, item.bytes, &sig) {
        checks.pass(
            CheckName::EntrySignature,
            format!(
                "#{seq}: signed by {party} with key {} ({id}), which {party} held at this point",
                key.name
            ),
        );
        true
    } else {
        checks.fail(
            CheckName::EntrySignature,
            format!(
                "#{seq}: the signature in {} does not verify under {party}'s key {} ({id}): the \
                     entry or its signature was changed",
                entry_path(seq, "sig"),
                key.name
            ),
        );
        false
    }
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
    let mut a = Analysis {
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
        report: failed_report(Vec::new()),
    };
    a.report.origin = Some(manifest.origin.clone());
    a.report.target = Some(manifest.target);
    if a.decode_entries() {
        a.check_genesis();
        a.replay_key_history();
        a.check_other_signatures();
        a.read_checkpoint();
        a.check_inclusion_proofs();
        let cp = a.check_checkpoint_signatures();
        let related = a.check_references();
        a.check_openings();
        a.summarize(cp.as_ref(), &related);
    }
    a.report.checks = a.checks.0;
    a.report.ok = a.report.checks.iter().all(|c| c.ok);
    a.report
}

impl<'a> Analysis<'a> {
    fn entry_of(&self, seq: u64) -> Option<&Entry> {
        self.items
            .iter()
            .find(|i| i.seq == seq)
            .and_then(|i| i.entry.as_ref())
    }

    /// Decodes every entry and computes its leaf hash. False if the bundle is too large to go on.
    fn decode_entries(&mut self) -> bool {
        let mut seen = BTreeSet::new();
        if self.manifest.entries.len() > MAX_BUNDLE_ENTRIES {
            self.checks.fail(
                CheckName::Manifest,
                format!(
                    "the manifest lists {} entries, more than the {MAX_BUNDLE_ENTRIES} a bundle \
                     may hold",
                    self.manifest.entries.len()
                ),
            );
            return false;
        }
        for claimed in &self.manifest.entries {
            let seq = claimed.seq;
            if !seen.insert(seq) {
                self.checks
                    .fail(CheckName::Manifest, format!("entry #{seq} is listed twice"));
                continue;
            }
            let path = entry_path(seq, "bin");
            let Some(bytes) = self.files.get(&path) else {
                self.checks
                    .fail(CheckName::EntryDecode, format!("#{seq}: {path} is missing"));
                continue;
            };
            let leaf = leaf_hash(bytes);
            let entry = match codec::decode_entry(bytes) {
                Err(e) => {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        format!("#{seq}: {path} is not a valid entry: {e}"),
                    );
                    None
                }
                Ok(e) if e.seq.0 != seq => {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        format!(
                            "#{seq}: {path} holds entry {} ({}), not entry #{seq}: files were \
                         swapped or renamed",
                            e.seq,
                            a_kind(e.body.kind())
                        ),
                    );
                    None
                }
                Ok(e) if codec::encode_entry(&e).ok().as_deref() != Some(bytes.as_slice()) => {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        format!(
                            "#{seq}: {path} does not re-encode to the same bytes \
                            (non-canonical)"
                        ),
                    );
                    None
                }
                Ok(e) if e.body.kind() != claimed.kind => {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        format!(
                            "#{seq}: {path} is {} but the manifest says {}",
                            a_kind(e.body.kind()),
                            claimed.kind
                        ),
                    );
                    None
                }
                Ok(e) => {
                    self.checks.pass(
                        CheckName::EntryDecode,
                        format!(
                            "#{seq}: {} bytes decode to {} recorded {}",
                            bytes.len(),
                            a_kind(e.body.kind()),
                            e.recorded_at
                        ),
                    );
                    Some(e)
                }
            };
            if hex::encode(leaf) == claimed.leaf_hash.to_ascii_lowercase() {
                self.checks.pass(
                    CheckName::LeafHash,
                    format!(
                        "#{seq}: SHA-256(00 ‖ entry bytes) = {}, as the manifest states",
                        hex::encode(leaf)
                    ),
                );
            } else {
                self.checks.fail(
                    CheckName::LeafHash,
                    format!(
                        "#{seq}: SHA-256(00 ‖ entry bytes) = {} but the manifest states {}",
                        hex::encode(leaf),
                        claimed.leaf_hash
                    ),
                );
            }
            self.items.push(Item {
                seq,
                claimed,
                bytes,
                entry,
                leaf,
            });
        }
        self.items.sort_by_key(|i| i.seq);
        true
    }

    /// The genesis entry: trust roots, origin, rules.
    fn check_genesis(&mut self) {
        let genesis = self.entry_of(0).cloned();
        let genesis = genesis.as_ref().and_then(|e| match &e.body {
            Body::Genesis(g) => Some((e, g)),
            _ => None,
        });
        match genesis {
            None => self.checks.fail(
                CheckName::TrustRoots,
                "the bundle has no readable genesis entry (entries/0.bin), which names the \
             regulators and their trust roots"
                    .into(),
            ),
            Some((e, g)) => {
                self.has_genesis = true;
                let mut described = Vec::new();
                for p in &g.parties {
                    self.party_names.insert(p.id.clone(), p.name.clone());
                    let t = is_trusted(&p.trust_root, self.trusted);
                    if t {
                        self.trusted_parties.insert(p.id.clone());
                    }
                    described.push(format!(
                        "{} ({} {}: {})",
                        p.id,
                        p.trust_root.name,
                        p.trust_root.key_id,
                        if t {
                            "trusted"
                        } else {
                            "not in the trust directory"
                        }
                    ));
                }
                if g.origin != self.manifest.origin {
                    self.checks.fail(
                        CheckName::TrustRoots,
                        format!(
                            "the genesis entry is for ledger {:?} but the manifest says {:?}",
                            g.origin, self.manifest.origin
                        ),
                    );
                }
                if self.trusted_parties.contains(&e.signer.party) {
                    self.checks.pass(
                        CheckName::TrustRoots,
                        format!(
                            "genesis of {} names trust roots {}",
                            g.origin,
                            described.join(", ")
                        ),
                    );
                } else {
                    self.checks.fail(
                        CheckName::TrustRoots,
                        format!(
                            "untrusted genesis: it is signed by {} and names trust roots {}, but \
                             {}'s trust root is not among the trusted keys. Either the bundle is \
                             not from the ledger you trust, or --trust points at the wrong keys \
                             (use the regulators' published *.vkey files)",
                            e.signer.party,
                            described.join(", "),
                            e.signer.party
                        ),
                    );
                }
                let breaches = rules::check_entry(&self.reg, e);
                for (kind, text) in &breaches {
                    self.checks.fail(
                        CheckName::KeyHistory,
                        format!(
                            "#0 (genesis) breaks a ledger rule ({}): {text}",
                            kind.code()
                        ),
                    );
                }
                if e.prev != ledger_core::model::EntryHash::ZERO {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        "#0: the genesis entry's previous hash is not all zeros".into(),
                    );
                }
                self.reg.apply(e, leaf_hash(&[]));
            }
        }
    }

    /// Replays the key changes in order: each is applied only if valid and validly signed.
    fn replay_key_history(&mut self) {
        if let Some(item) = self.items.iter().find(|i| i.seq == 0)
            && let Some(e) = &item.entry
        {
            check_signature(
                &mut self.checks,
                &self.reg,
                &self.trusted_parties,
                self.files,
                item,
                e,
            );
        }
        if self.has_genesis {
            for item in &self.items {
                let Some(e) = &item.entry else { continue };
                if !is_key_history(e.body.kind()) {
                    continue;
                }
                let breaches = rules::check_entry(&self.reg, e);
                let signed = check_signature(
                    &mut self.checks,
                    &self.reg,
                    &self.trusted_parties,
                    self.files,
                    item,
                    e,
                );
                if breaches.is_empty() && signed {
                    self.checks.pass(
                        CheckName::KeyHistory,
                        format!(
                            "#{}: {}",
                            item.seq,
                            ledger_core::describe::one_line(e)
                                .split_whitespace()
                                .skip(4)
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    );
                    self.reg.apply(e, item.leaf);
                } else {
                    for (kind, text) in breaches {
                        self.checks.fail(
                            CheckName::KeyHistory,
                            format!(
                                "#{}: breaks a ledger rule ({}): {text}",
                                item.seq,
                                kind.code()
                            ),
                        );
                    }
                    if !signed {
                        self.checks.fail(
                            CheckName::KeyHistory,
                            format!(
                                "#{}: not applied, because its signature did not verify",
                                item.seq
                            ),
                        );
                    }
                }
            }
        }
    }

    /// The signatures of the entries that are neither genesis nor key changes.
    fn check_other_signatures(&mut self) {
        for item in &self.items {
            let Some(e) = &item.entry else { continue };
            if item.seq == 0 || is_key_history(e.body.kind()) || !self.has_genesis {
                continue;
            }
            check_signature(
                &mut self.checks,
                &self.reg,
                &self.trusted_parties,
                self.files,
                item,
                e,
            );
        }
    }

    /// Parses checkpoint.note.
    fn read_checkpoint(&mut self) {
        let cp_note = self.files.get(CHECKPOINT_FILE).map(|b| Note::parse(b));
        match cp_note {
            None => self.checks.fail(
                CheckName::CheckpointSignature,
                format!("{CHECKPOINT_FILE} is missing"),
            ),
            Some(Err(e)) => self.checks.fail(
                CheckName::CheckpointSignature,
                format!("{CHECKPOINT_FILE} is not a signed note: {e}"),
            ),
            Some(Ok(note)) => match Checkpoint::from_note(&note) {
                Err(e) => self.checks.fail(
                    CheckName::CheckpointSignature,
                    format!("{CHECKPOINT_FILE} is not a valid checkpoint: {e}"),
                ),
                Ok(cp) => self.checkpoint = Some((cp, note)),
            },
        }
        if let Some((cp, _)) = &self.checkpoint {
            self.report.tree_size = Some(cp.size);
            if cp.origin != self.manifest.origin || cp.size != self.manifest.tree_size {
                self.checks.fail(
                    CheckName::CheckpointSignature,
                    format!(
                        "the checkpoint is for {:?} at size {}, but the manifest says {:?} at size \
                         {}",
                        cp.origin, cp.size, self.manifest.origin, self.manifest.tree_size
                    ),
                );
            }
        }
    }

    /// Every entry's inclusion proof against the checkpoint.
    fn check_inclusion_proofs(&mut self) {
        for item in &self.items {
            let seq = item.seq;
            let path = entry_path(seq, "tlog-proof");
            let Some(bytes) = self.files.get(&path) else {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!("#{seq}: {path} is missing"),
                );
                continue;
            };
            let proof = match TlogProof::parse(bytes) {
                Ok(p) => p,
                Err(e) => {
                    self.checks.fail(
                        CheckName::InclusionProof,
                        format!("#{seq}: {path} is not a valid c2sp.org/tlog-proof@v1: {e}"),
                    );
                    continue;
                }
            };
            if seq == self.manifest.target {
                self.report.proof_hashes = Some(proof.proof.len());
            }
            let Some((cp, note)) = &self.checkpoint else {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!("#{seq}: no valid checkpoint to check the proof against"),
                );
                continue;
            };
            if proof.index != seq {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!(
                        "#{seq}: {path} is a proof for entry #{}, not #{seq}",
                        proof.index
                    ),
                );
                continue;
            }
            if &proof.checkpoint != note {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!("#{seq}: the checkpoint inside {path} differs from {CHECKPOINT_FILE}"),
                );
                continue;
            }
            match tlog::verify_inclusion(&proof.proof, seq, cp.size, &item.leaf, &cp.root) {
            Ok(()) => self.checks.pass(
                CheckName::InclusionProof,
                format!(
                    "#{seq}: {} hashes lead from the entry's leaf hash to the checkpoint's root \
                     (entry #{seq} of {})",
                    proof.proof.len(),
                    cp.size
                ),
            ),
            Err(e) => self.checks.fail(
                CheckName::InclusionProof,
                format!("#{seq}: {path} does not prove inclusion: {e}"),
            ),
        }
        }
    }

    /// The checkpoint's signature and cosignatures, under the keys valid at its size.
    fn check_checkpoint_signatures(&mut self) -> Option<CheckpointFacts> {
        let mut cp_facts: Option<CheckpointFacts> = None;
        if let Some((cp, note)) = &self.checkpoint
            && self.has_genesis
        {
            let keys = party_keys(&self.reg, Seq(cp.size));
            let mut operator: Option<(PartyId, String)> = None;
            let mut cosigs: Vec<Cosigner> = Vec::new();
            let mut any_bad = false;
            for sig in note.signatures() {
                let found = keys.iter().find_map(|(p, op, co)| {
                    if op.name == sig.name() && op.key_id == sig.key_id() {
                        Some((p, op))
                    } else if co.name == sig.name() && co.key_id == sig.key_id() {
                        Some((p, co))
                    } else {
                        None
                    }
                });
                let Some((party, key)) = found else {
                    continue;
                };
                let what = match key.kind {
                    KeyKind::Ed25519 => CheckName::CheckpointSignature,
                    KeyKind::CosignatureV1 => CheckName::Cosignature,
                };
                match note.verify(std::slice::from_ref(key)) {
                    Err(e) => {
                        any_bad = true;
                        self.checks.fail(
                            what,
                            format!("the signature line of {} ({party}): {e}", key.name),
                        );
                    }
                    Ok(v) => match key.kind {
                        KeyKind::Ed25519 => {
                            if operator.is_none() {
                                operator = Some((party.clone(), key.name.clone()));
                            }
                        }
                        KeyKind::CosignatureV1 => {
                            let at = v
                                .first()
                                .and_then(|s| s.timestamp)
                                .and_then(|t| i64::try_from(t).ok())
                                .unwrap_or(0);
                            cosigs.push(Cosigner {
                                party: party.clone(),
                                key: key.name.clone(),
                                at: Timestamp(at),
                            });
                        }
                    },
                }
            }
            match &operator {
            None if !any_bad => self.checks.fail(
                CheckName::CheckpointSignature,
                format!(
                    "{CHECKPOINT_FILE} carries no signature by a key any party held at tree size \
                     {} (signers: {}); either the checkpoint is not this ledger's or a key-history \
                     entry that introduced the signer's key is missing from the bundle",
                    cp.size,
                    note.signatures()
                        .iter()
                        .map(|s| format!("{}+{}", s.name(), hex::encode(s.key_id())))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            None => {}
            Some((party, key)) if !self.trusted_parties.contains(party) => self.checks.fail(
                CheckName::CheckpointSignature,
                format!(
                    "signed by {party} (key {key}), whose trust root is not among the trusted keys"
                ),
            ),
            Some((party, key)) if !any_bad => {
                self.checks.pass(
                    CheckName::CheckpointSignature,
                    format!(
                        "the checkpoint of {} entries (root {}) is signed by {party} with key \
                         {key}, valid for {party} at that size",
                        cp.size,
                        hex::encode(cp.root)
                    ),
                );
                self.report.checkpoint_signer = Some(party.clone());
            }
            Some(_) => {}
        }
            let independent: Vec<Cosigner> = cosigs
                .iter()
                .filter(|c| operator.as_ref().is_some_and(|(p, _)| p != &c.party))
                .filter(|c| self.trusted_parties.contains(&c.party))
                .cloned()
                .collect();
            if let Some((op, _)) = &operator {
                if independent.is_empty() && !any_bad {
                    self.checks.fail(
                        CheckName::Cosignature,
                        format!(
                            "the checkpoint carries no valid cosignature by a trusted party other \
                             than its signer {op}; a checkpoint only one regulator signed does not \
                             show the other agreed to the ledger's history"
                        ),
                    );
                }
                for c in &independent {
                    self.checks.pass(
                        CheckName::Cosignature,
                        format!(
                            "cosigned by {} with key {} at {}: the other regulator confirmed this \
                             tree head",
                            c.party, c.key, c.at
                        ),
                    );
                }
            }
            self.report.cosigners = independent.clone();
            if let Some((party, key)) = operator {
                let cosigners = cosigs.into_iter().filter(|c| c.party != party).collect();
                cp_facts = Some(CheckpointFacts {
                    size: cp.size,
                    root: cp.root,
                    signer: party,
                    signer_key: key,
                    cosigners,
                });
            }
        }
        cp_facts
    }

    /// Every entry must be in the bundle for its stated reason.
    fn check_references(&mut self) -> Related {
        let target = self.entry_of(self.manifest.target).cloned();
        if target.is_none() {
            self.checks.fail(
                CheckName::References,
                format!(
                    "the target entry #{} is not in the bundle (or cannot be read)",
                    self.manifest.target
                ),
            );
        }
        let mut related = Related::default();
        if let Some(t) = &target {
            if let Body::Disclosure(d) = &t.body
                && d.from != t.signer.party
            {
                self.checks.fail(
                    CheckName::References,
                    format!(
                        "#{}: a disclosure from {} signed by {}",
                        t.seq.0, d.from, t.signer.party
                    ),
                );
            }
            for item in &self.items {
                let Some(e) = &item.entry else { continue };
                let seq = item.seq;
                let role = derive_role(self.manifest.target, t, e);
                let problem = match (&e.body, role) {
                    (_, None) => Some(format!(
                        "#{seq} ({}) has no place in a bundle for #{}: it neither is the genesis \
                     entry, a key change, nor refers to the target",
                        ledger_core::describe::one_line(e)
                            .split_whitespace()
                            .skip(2)
                            .collect::<Vec<_>>()
                            .join(" "),
                        self.manifest.target
                    )),
                    (Body::Acknowledgement(_), Some(Role::Acknowledgement)) => match &t.body {
                        Body::Disclosure(d) if d.to != e.signer.party => Some(format!(
                            "#{seq} acknowledges #{} but is signed by {}, not the recipient {}",
                            self.manifest.target, e.signer.party, d.to
                        )),
                        Body::Disclosure(_) if seq > self.manifest.target => None,
                        Body::Disclosure(_) => Some(format!(
                            "#{seq} acknowledges a later entry #{}",
                            self.manifest.target
                        )),
                        _ => Some(format!(
                            "#{seq} acknowledges #{}, which is not a disclosure",
                            self.manifest.target
                        )),
                    },
                    (Body::Correction(_), Some(Role::Correction)) => {
                        if e.signer.party != t.signer.party {
                            Some(format!(
                                "#{seq} corrects #{} but is signed by {}, who did not record it",
                                self.manifest.target, e.signer.party
                            ))
                        } else if seq <= self.manifest.target {
                            Some(format!("#{seq} corrects a later entry"))
                        } else {
                            None
                        }
                    }
                    (_, Some(Role::Superseded)) => {
                        if e.signer.party != t.signer.party {
                            Some(format!(
                                "#{} corrects #{seq}, which another party recorded",
                                self.manifest.target
                            ))
                        } else {
                            None
                        }
                    }
                    _ => None,
                };
                if let Some(p) = problem {
                    self.checks.fail(CheckName::References, p);
                    continue;
                }
                let Some(role) = role else { continue };
                if role != item.claimed.role {
                    self.checks.fail(
                        CheckName::References,
                        format!(
                            "#{seq} is in the bundle as {} but the manifest calls it {}",
                            role.as_str(),
                            item.claimed.role.as_str()
                        ),
                    );
                    continue;
                }
                match role {
                    Role::Acknowledgement => related.acks.push(seq),
                    Role::Correction => related.corrections.push(seq),
                    Role::Superseded => related.superseded = Some(seq),
                    _ => {}
                }
                if let Some((cp, _)) = &self.checkpoint
                    && seq >= cp.size
                {
                    self.checks.fail(
                        CheckName::References,
                        format!("#{seq} lies beyond the checkpoint's {} entries", cp.size),
                    );
                }
            }
            if let Body::Correction(c) = &t.body
                && related.superseded.is_none()
            {
                self.checks.fail(
                    CheckName::References,
                    format!(
                        "#{} corrects {}, which is not in the bundle",
                        self.manifest.target, c.supersedes
                    ),
                );
            }
            if !self.checks.any_failed(CheckName::References) {
                self.checks.pass(
                    CheckName::References,
                    format!(
                        "every entry is the target, the genesis entry, a key change, or refers to \
                         the target ({} acknowledgement{}, {} correction{})",
                        related.acks.len(),
                        if related.acks.len() == 1 { "" } else { "s" },
                        related.corrections.len(),
                        if related.corrections.len() == 1 {
                            ""
                        } else {
                            "s"
                        }
                    ),
                );
            }
        }
        related
    }

    /// The openings against the target's commitments.
    fn check_openings(&mut self) {
        let target = self.entry_of(self.manifest.target).cloned();
        let mut fields: Vec<FieldReport> = Vec::new();
        if let Some(t) = &target {
            let disclosure = entry_fields(t);
            for f in disclosure.map(|d| d.fields.as_slice()).unwrap_or_default() {
                fields.push(FieldReport {
                    name: f.name.as_str().to_owned(),
                    status: "not-opened",
                    value: None,
                    erased_at: None,
                });
            }
            match self
                .files
                .get(OPENINGS_FILE)
                .map(|b| serde_json::from_slice::<Openings>(b))
            {
                None => self.checks.fail(
                    CheckName::FieldOpening,
                    format!("{OPENINGS_FILE} is missing"),
                ),
                Some(Err(e)) => self.checks.fail(
                    CheckName::FieldOpening,
                    format!("{OPENINGS_FILE} is not valid: {e}"),
                ),
                Some(Ok(o)) if o.entry != self.manifest.target => self.checks.fail(
                    CheckName::FieldOpening,
                    format!(
                        "{OPENINGS_FILE} is for entry #{}, not the target #{}",
                        o.entry, self.manifest.target
                    ),
                ),
                Some(Ok(o)) => {
                    let mut done = BTreeSet::new();
                    for opening in &o.fields {
                        let name = opening.name();
                        let Some(commit) = disclosure
                            .and_then(|d| d.fields.iter().find(|f| f.name.as_str() == name))
                        else {
                            self.checks.fail(
                                CheckName::FieldOpening,
                                format!(
                                    "{name:?}: entry #{} records no such field",
                                    self.manifest.target
                                ),
                            );
                            continue;
                        };
                        if !done.insert(name.to_owned()) {
                            self.checks.fail(
                                CheckName::FieldOpening,
                                format!("{name}: listed twice in {OPENINGS_FILE}"),
                            );
                            continue;
                        }
                        let slot = fields.iter_mut().find(|f| f.name == name);
                        match opening {
                            Opening::Opened {
                                commitment,
                                value,
                                salt,
                                ..
                            } => {
                                let salt_bytes = hex::decode(salt)
                                    .ok()
                                    .and_then(|s| <[u8; 32]>::try_from(s).ok());
                                let Some(salt_bytes) = salt_bytes else {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!("{name}: the salt is not 32 bytes of hex"),
                                    );
                                    continue;
                                };
                                let computed =
                                    field_commitment(&salt_bytes, name, value.as_bytes());
                                if computed != commit.commitment {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: value {value:?} with its salt gives \
                                             commitment {} but the signed entry records {}: the \
                                             value or the salt is not the one committed \
                                             to",
                                            hex::encode(computed),
                                            hex::encode(commit.commitment)
                                        ),
                                    );
                                } else if commitment.to_ascii_lowercase()
                                    != hex::encode(commit.commitment)
                                {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: {OPENINGS_FILE} states commitment \
                                             {commitment} but the entry records {}",
                                            hex::encode(commit.commitment)
                                        ),
                                    );
                                } else {
                                    self.checks.pass(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name} = {value:?}: value and salt reproduce the \
                                         commitment in the signed entry"
                                        ),
                                    );
                                    if let Some(s) = slot {
                                        s.status = "opened";
                                        s.value = Some(value.clone());
                                    }
                                }
                            }
                            Opening::Erased {
                                commitment,
                                erased_at,
                                ..
                            } => {
                                if commitment.to_ascii_lowercase() != hex::encode(commit.commitment)
                                {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: {OPENINGS_FILE} states commitment \
                                             {commitment} but the entry records {}",
                                            hex::encode(commit.commitment)
                                        ),
                                    );
                                    continue;
                                }
                                self.checks.pass(
                                    CheckName::FieldOpening,
                                    format!(
                                        "{name}: erased on {}, cannot be opened (its commitment \
                                     stays in the signed entry)",
                                        erased_at.london_date()
                                    ),
                                );
                                if let Some(s) = slot {
                                    s.status = "erased";
                                    s.erased_at = Some(*erased_at);
                                }
                            }
                        }
                    }
                }
            }
        }
        self.report.fields = fields;
    }

    /// Derives the plain-language summary.
    fn summarize(&mut self, cp: Option<&CheckpointFacts>, related: &Related) {
        let Some(t) = self.entry_of(self.manifest.target) else {
            return;
        };
        let of = |seqs: &[u64]| -> Vec<&Entry> {
            seqs.iter().filter_map(|s| self.entry_of(*s)).collect()
        };
        let acks = of(&related.acks);
        let corrections = of(&related.corrections);
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
            superseded: related.superseded.and_then(|s| self.entry_of(s)),
            fields: &self.report.fields,
            checkpoint: cp,
        });
        self.report.summary = summary;
    }
}

/// The role an entry plays relative to the target, derived from its content.
pub(crate) fn derive_role(target_seq: u64, target: &Entry, e: &Entry) -> Option<Role> {
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
        _ => None,
    }
}

// ---------------------------------------------------------------------------
