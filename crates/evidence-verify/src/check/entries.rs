//! Entry checks: every entry file decodes, its leaf hash is the one the manifest states, and
//! the manifest's roles match the entries.

use std::collections::BTreeSet;

use ledger_core::codec::{self};
use ledger_core::hash::leaf_hash;
use ledger_core::model::Seq;

use super::*;

impl<'a> Analysis<'a> {
    /// Decodes every entry and computes its leaf hash. False if the bundle is too large to go on.
    pub(super) fn decode_entries(&mut self) -> bool {
        let mut seen = BTreeSet::new();
        let max = if self.manifest.dossier.is_some() {
            MAX_DOSSIER_ENTRIES
        } else {
            MAX_BUNDLE_ENTRIES
        };
        if self.manifest.entries.len() > max {
            self.checks.fail(
                CheckName::Manifest,
                format!(
                    "the manifest lists {} entries, more than the {max} it may hold",
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
            let path = entry_path(Seq(seq), "bin");
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
}
