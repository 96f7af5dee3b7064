//! The plain-language text of a bundle: the summary a lawyer reads and the README that says
//! how to check each file by hand. Both are derived from the verified entries.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ledger_core::hash::Digest;
use ledger_core::model::{
    Body, Category, Disclosure, Entry, EntryKind, Notification, PartyId, Timestamp,
};

use crate::format::*;
use crate::report::*;

// Plain-language text
// ---------------------------------------------------------------------------

pub(crate) struct CheckpointFacts {
    pub(crate) size: u64,
    pub(crate) root: Digest,
    pub(crate) signer: PartyId,
    pub(crate) signer_key: String,
    pub(crate) cosigners: Vec<Cosigner>,
}

pub(crate) struct Facts<'a> {
    pub(crate) origin: &'a str,
    pub(crate) names: &'a BTreeMap<PartyId, String>,
    pub(crate) target: &'a Entry,
    pub(crate) target_hash: Digest,
    pub(crate) target_key: String,
    pub(crate) acks: &'a [&'a Entry],
    pub(crate) corrections: &'a [&'a Entry],
    pub(crate) dispositions: &'a [&'a Entry],
    pub(crate) superseded: Option<&'a Entry>,
    pub(crate) fields: &'a [FieldReport],
    pub(crate) checkpoint: Option<&'a CheckpointFacts>,
    pub(crate) complete: &'a crate::check::Completeness,
}

/// "in the first N entries of the ledger", or nothing without a checkpoint.
fn within(f: &Facts, what: &str) -> String {
    f.checkpoint
        .map(|c| format!(" in the first {} {what}", c.size))
        .unwrap_or_default()
}

/// Why an absence is not proven, for the summary.
const NOT_PROVEN: &str = "Not proven: this bundle's checkpoint carries no entry index, so it \
     shows what was recorded but cannot prove that nothing else was.";

pub(crate) fn party(names: &BTreeMap<PartyId, String>, id: &PartyId) -> String {
    match names.get(id) {
        Some(n) if n != id.as_str() => format!("{n} ({id})"),
        _ => id.to_string(),
    }
}

pub(crate) fn when(t: Timestamp) -> String {
    format!("{} (UK date {})", t, t.london_date())
}

pub(crate) fn describe_disclosure(out: &mut String, f: &Facts, d: &Disclosure) {
    let names = f.names;
    let _ = writeln!(out, "  From:       {}", party(names, &d.from));
    let _ = writeln!(out, "  To:         {}", party(names, &d.to));
    let _ = writeln!(out, "  Disclosed:  {}", when(d.disclosed_at));
    let _ = writeln!(out, "  Gateway:    {}", d.gateway);
    let category = match &d.category {
        Category::InformationRequest {
            information_notice: true,
            ..
        } => "information-request (a formal Information Notice)".to_owned(),
        Category::PublicInformation {
            source: Some(s), ..
        } => format!("public-information (source: {s})"),
        Category::CaseByCase {
            assessment: Some(a),
            ..
        } => format!(
            "case-by-case (assessment {} approved by {})",
            a.reference, a.approver
        ),
        Category::CaseByCase {
            assessment: None, ..
        } => "case-by-case (no assessment recorded)".to_owned(),
        other => other.kind().to_string(),
    };
    let _ = writeln!(out, "  Category:   {category}");
    let companies: Vec<String> = d
        .category
        .companies()
        .iter()
        .map(|c| format!("{} ({})", c.name, c.id))
        .collect();
    if !companies.is_empty() {
        let _ = writeln!(out, "  Companies:  {}", companies.join(", "));
    }
    let themes: Vec<&str> = d.category.themes().iter().map(|t| t.as_str()).collect();
    if !themes.is_empty() {
        let _ = writeln!(out, "  Themes:     {}", themes.join(", "));
    }
    match &d.notification {
        Notification::Notified => {
            let _ = writeln!(
                out,
                "  Notice:     the company was notified before the disclosure"
            );
        }
        Notification::Skipped { reason } if reason.trim().is_empty() => {
            let _ = writeln!(
                out,
                "  Notice:     notification of the company was SKIPPED; no reason recorded"
            );
        }
        Notification::Skipped { reason } => {
            let _ = writeln!(
                out,
                "  Notice:     notification of the company was SKIPPED; reason recorded: {reason}"
            );
        }
    }
    if let Some(r) = &d.relevance {
        let _ = writeln!(out, "  Relevance:  {r}");
    }
    let _ = writeln!(out, "  Recorded by the role: {}", d.officer_role);
}

pub(crate) fn summary_text(f: &Facts) -> String {
    let mut out = String::new();
    let t = f.target;
    let seq = t.seq.0;
    let _ = writeln!(
        out,
        "Entry #{seq} of the disclosure ledger {} — {}",
        f.origin,
        a_kind(t.body.kind())
    );
    let _ = writeln!(
        out,
        "Recorded {} by {}.",
        when(t.recorded_at),
        party(f.names, &t.signer.party)
    );
    let _ = writeln!(out);
    match &t.body {
        Body::Disclosure(d) => {
            let _ = writeln!(out, "What was shared");
            describe_disclosure(&mut out, f, d);
        }
        Body::Correction(c) => {
            let _ = writeln!(
                out,
                "This entry corrects entry {}{}. Reason given: {}",
                c.supersedes,
                f.superseded
                    .map(|s| format!(" ({} recorded {})", a_kind(s.body.kind()), s.recorded_at))
                    .unwrap_or_default(),
                c.reason
            );
            match &c.replacement {
                Some(r) => {
                    let _ = writeln!(out, "\nWhat should have been recorded (the replacement)");
                    describe_disclosure(&mut out, f, r);
                }
                None => {
                    let _ = writeln!(out, "It carries no replacement disclosure.");
                }
            }
            if let Some(Body::Disclosure(d)) = f.superseded.map(|s| &s.body) {
                let _ = writeln!(out, "\nWhat entry {} originally recorded", c.supersedes);
                describe_disclosure(&mut out, f, d);
            }
        }
        _ => {
            let full = ledger_core::describe::full(t, &hex::encode(f.target_hash));
            for line in full.lines().skip(1) {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    if !f.fields.is_empty() {
        let _ = writeln!(
            out,
            "\nFields shared ({}). The ledger holds only a salted commitment to each value; a \
             value is shown only if it was opened:",
            f.fields.len()
        );
        let width = f.fields.iter().map(|x| x.name.len()).max().unwrap_or(0);
        for x in f.fields {
            let status = match (x.status, &x.value, x.erased_at) {
                ("opened", Some(v), _) => {
                    format!("{v:?} (opened: the value matches its commitment)")
                }
                ("erased", _, Some(at)) => format!(
                    "erased on {} at the end of its retention; cannot be opened",
                    at.london_date()
                ),
                _ => "not opened (the bundle proves the field was shared, not its value)".into(),
            };
            let _ = writeln!(out, "  {:<width$}  {status}", x.name);
        }
    }
    if let Body::Disclosure(d) = &t.body {
        let _ = writeln!(out, "\nAcknowledgement");
        if f.acks.is_empty() && f.complete.proven {
            let _ = writeln!(
                out,
                "  None: no acknowledgement by {} is recorded{}. The entry index signed with the \
                 checkpoint proves it.",
                party(f.names, &d.to),
                within(f, "entries of the ledger")
            );
        } else if f.acks.is_empty() {
            let _ = writeln!(
                out,
                "  This bundle holds no acknowledgement by {}{}. {NOT_PROVEN}",
                party(f.names, &d.to),
                within(f, "entries of the ledger")
            );
        }
        for a in f.acks {
            if let Body::Acknowledgement(ack) = &a.body {
                let _ = writeln!(
                    out,
                    "  {} acknowledged receipt in entry #{}, recorded {}; received {}.",
                    party(f.names, &a.signer.party),
                    a.seq.0,
                    a.recorded_at,
                    ack.received_at
                );
            }
        }
    }
    if !matches!(t.body, Body::Genesis(_)) {
        let _ = writeln!(out, "\nCorrections");
        if f.corrections.is_empty() && f.complete.proven {
            let _ = writeln!(
                out,
                "  None: no later entry{} supersedes this one. The entry index signed with the \
                 checkpoint proves it.",
                within(f, "entries")
            );
        } else if f.corrections.is_empty() {
            let _ = writeln!(
                out,
                "  This bundle holds no later entry that supersedes this one. {NOT_PROVEN}"
            );
        }
        for c in f.corrections {
            if let Body::Correction(corr) = &c.body {
                let _ = writeln!(
                    out,
                    "  Entry #{}, recorded {} by {}, supersedes this entry{}. Reason given: {}",
                    c.seq.0,
                    c.recorded_at,
                    party(f.names, &c.signer.party),
                    if corr.replacement.is_some() {
                        " with a replacement disclosure"
                    } else {
                        ""
                    },
                    corr.reason
                );
                if let Some(r) = &corr.replacement {
                    let _ = writeln!(out, "  The replacement records:");
                    let mut inner = String::new();
                    describe_disclosure(&mut inner, f, r);
                    for line in inner.lines() {
                        let _ = writeln!(out, "  {line}");
                    }
                }
            }
        }
    }
    // Listed when the bundle carries some, or when the index proves there are none: without a
    // proof of absence the summary cannot say that none was recorded.
    if !f.dispositions.is_empty() || f.complete.proven {
        let _ = writeln!(out, "\nFlag dispositions");
        if f.dispositions.is_empty() {
            let _ = writeln!(
                out,
                "  None: no party recorded what it did about a flag on this entry{}. The entry \
                 index signed with the checkpoint proves it.",
                within(f, "entries")
            );
        }
        for e in f.dispositions {
            if let Body::Disposition(d) = &e.body {
                let remedy = d
                    .correction
                    .map(|c| format!(" by correction {c}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  Entry #{}, recorded {} by {} ({}): flag {} {}{remedy}. Note: {}",
                    e.seq.0,
                    e.recorded_at,
                    party(f.names, &e.signer.party),
                    d.reviewer_role,
                    d.flag,
                    d.action.as_str(),
                    d.note
                );
            }
        }
    }
    let _ = writeln!(out, "\nSignatures and proof");
    let _ = writeln!(
        out,
        "  Entry #{seq} is signed by {} with key {}, a key {} held at that point of the ledger.",
        t.signer.party, f.target_key, t.signer.party
    );
    let _ = writeln!(out, "  Its entry hash is {}.", hex::encode(f.target_hash));
    if f.complete.proven {
        let names: Vec<&str> = f.complete.parties.iter().map(|p| p.as_str()).collect();
        let _ = writeln!(
            out,
            "  The bundle holds the whole key history{} of {}: the entry index signed with the \
             checkpoint proves no other key was added, rotated or revoked for them.",
            within(f, "entries"),
            names.join(", ")
        );
    } else {
        let _ = writeln!(
            out,
            "  Whether any other key was added, rotated or revoked for the parties this bundle relies on \
             is not proven: the checkpoint carries no entry index."
        );
    }
    match f.checkpoint {
        Some(c) => {
            let cos: Vec<String> = c
                .cosigners
                .iter()
                .map(|x| format!("{} (key {}) at {}", x.party, x.key, x.at))
                .collect();
            let _ = writeln!(
                out,
                "  It is entry #{seq} of the first {} entries of the ledger, whose root hash {} \
                 was signed by {} (key {}) and cosigned by {}.",
                c.size,
                hex::encode(c.root),
                c.signer,
                c.signer_key,
                if cos.is_empty() {
                    "nobody".to_owned()
                } else {
                    cos.join(", ")
                }
            );
        }
        None => {
            let _ = writeln!(out, "  (The checkpoint could not be read.)");
        }
    }
    out
}

/// The README.txt of a bundle: what each file proves and how to check it by hand.
pub fn readme(manifest: &Manifest, report: &EvidenceReport) -> String {
    let target = manifest.target;
    let size = manifest.tree_size;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "EVIDENCE BUNDLE: entry #{target} of the disclosure ledger {}\n",
        manifest.origin
    );
    out.push_str(
        "This folder proves what one entry of a disclosure ledger records, that the regulator
named in it signed it, and that it has not been changed since: both regulators signed the
state of the whole ledger after it was recorded. Anyone can check it without access to the
ledger. Read summary.txt first: it says in plain words what the entry records.

HOW TO CHECK IT

  dledger verify-evidence THIS-FOLDER --trust KEYS-FOLDER

KEYS-FOLDER must hold the regulators' published public keys (*.vkey files), obtained
from the regulators themselves, never from this folder. The command prints every check
and the summary, and ends with status 0 if every check passed, 2 if any failed. To
check by hand instead, follow docs/EVIDENCE.md of the disclosure-ledger project; the
steps use standard tools (sha256sum, openssl, Go's golang.org/x/mod/sumdb packages):

  1. Fingerprints: each file's SHA-256 (sha256sum FILE) is the one manifest.json lists.
  2. Entry hash: (printf '\\000'; cat entries/N.bin) | sha256sum gives the entry's
     leaf_hash in manifest.json.
  3. Signature: entries/N.sig is an Ed25519 signature, by the signer's key, of the text
     \"disclosure-ledger/entry-signature/v1\" and a newline followed by entries/N.bin.
  4. Inclusion: the hashes in entries/N.tlog-proof lead from the entry hash to the root
     hash in checkpoint.note (RFC 6962; Go: tlog.CheckRecord).
  5. Checkpoint: checkpoint.note is signed by one regulator (Go: note.Open) and cosigned
     by the other (c2sp.org/tlog-cosignature).
  6. Fields: SHA-256 of \"disclosure-ledger/field-commitment/v1\", a zero byte, the salt,
     the name and the value (each with its length) equals the commitment in the entry.

WHAT EACH FILE PROVES

",
    );
    let item = |out: &mut String, name: &str, text: &str| {
        let _ = writeln!(out, "{name}");
        for line in textwrap(text, 84) {
            let _ = writeln!(out, "    {line}");
        }
        out.push('\n');
    };
    item(
        &mut out,
        "summary.txt",
        "What the entry records: what was shared, by whom, to whom, when, under which legal \
         gateway, whether the company was notified first, any acknowledgement and correction, and \
         who signed. verify-evidence derives this text again from the signed entries and fails if \
         the file says anything else.",
    );
    item(
        &mut out,
        &format!("entries/{target}.bin"),
        "The entry itself: the exact bytes that were signed and recorded (layout: docs/FORMAT.md). \
         Its SHA-256 with a 00 byte in front is its entry hash, the value every proof below is \
         about.",
    );
    item(
        &mut out,
        &format!("entries/{target}.sig"),
        "The Ed25519 signature (base64) of the regulator that recorded the entry. It proves that \
         regulator's key signed exactly these bytes.",
    );
    item(
        &mut out,
        &format!("entries/{target}.tlog-proof"),
        &format!(
            "A c2sp.org/tlog-proof@v1 inclusion proof: {} hashes that link the entry hash to the \
             root hash of the checkpoint, proving it is entry #{target} of the ledger's first \
             {size} entries. The checkpoint is copied at its end.",
            report.proof_hashes.unwrap_or(0)
        ),
    );
    let others: Vec<&ManifestEntry> = manifest
        .entries
        .iter()
        .filter(|e| e.seq != target)
        .collect();
    for role in [
        Role::Acknowledgement,
        Role::Correction,
        Role::Disposition,
        Role::Superseded,
        Role::Genesis,
        Role::KeyHistory,
    ] {
        let seqs: Vec<String> = others
            .iter()
            .filter(|e| e.role == role)
            .map(|e| format!("entries/{}.*", e.seq))
            .collect();
        if seqs.is_empty() {
            continue;
        }
        let text = match role {
            Role::Acknowledgement => {
                "The recipient's acknowledgement of the entry, signed by the recipient."
            }
            Role::Correction => {
                "A later correction, by the same regulator, that supersedes the entry (nothing in \
                                  the ledger is ever edited)."
            }
            Role::Superseded => "The earlier entry this correction supersedes.",
            Role::Disposition => {
                "A regulator's record of what it did about a policy flag raised on the entry \
                 (reviewed, accepted as an exception, escalated, or remediated by a correction)."
            }
            Role::Genesis => {
                "The ledger's first entry: it names the regulators and their root keys (trust \
                              roots), which must match the keys you trust."
            }
            _ => {
                "Key changes: every key added, replaced or withdrawn by the regulators this bundle \
                  relies on, up to the checkpoint. They show which key each regulator was entitled \
                  to use at each point."
            }
        };
        item(
            &mut out,
            &seqs.join(", "),
            &format!("{text} Each has its bytes, signature and inclusion proof, as above."),
        );
    }
    item(
        &mut out,
        "checkpoint.note",
        &format!(
            "A signed statement of the whole ledger's state: its first {size} entries and one root \
             hash, signed by one regulator and countersigned (cosigned) by the other (C2SP \
             tlog-checkpoint and tlog-cosignature). Because both signed, neither could change an \
             entry afterwards without the other noticing."
        ),
    );
    item(
        &mut out,
        "openings.json",
        "The values of the fields the requester asked for, each with its salt: together they \
         reproduce the commitment in the signed entry, proving the value is the one recorded. \
         Fields whose values were erased at the end of their retention period are listed with the \
         date of erasure; they cannot be opened. Other fields stay secret.",
    );
    item(
        &mut out,
        "manifest.json",
        "The list of files with their SHA-256 fingerprints (sha256sum), to detect damage. It is \
         not signed: the signatures and proofs above are what establish authenticity.",
    );
    out.push_str("WHAT THIS BUNDLE DOES NOT PROVE\n\n");
    for line in [
        "- That what the entry says is true: only that it was recorded, signed and not changed.",
        "- That the list of key changes is complete: each one included is proved, but a proof of \
         inclusion cannot show that no other exists. The other regulator, who holds a copy of the \
         ledger and cosigned it, can confirm the list.",
        "- When a value was erased: the erasure date is the bundle maker's statement.",
    ] {
        for (i, l) in textwrap(line, 86).into_iter().enumerate() {
            let _ = writeln!(out, "{}{l}", if i == 0 { "" } else { "  " });
        }
    }
    out
}

/// "a disclosure", "an acknowledgement".
pub(crate) fn a_kind(kind: EntryKind) -> String {
    let name = kind.as_str();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

pub(crate) fn textwrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
