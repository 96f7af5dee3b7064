//! Checks the derived data a writer opens from — the register snapshot and the references
//! index (docs/FORMAT.md, "Register snapshot" and "References") — against what `verify`
//! rebuilt from the entries.
//!
//! Neither is trusted by `verify`, which replays every entry; they matter because `disclose`,
//! `ack` and `correct` check new entries against them. A mismatch is reported as
//! `index-mismatch`; `dledger reindex` rebuilds both from the entries.

use crate::codec;
use crate::hash::sha256;
use crate::registers::Registers;
use crate::store::{Store, StoreError};

/// An order-independent digest of a set of (target, referring entry) pairs: their count and
/// the sum of their SHA-256 hashes modulo 2^128, so the pairs can be added in entry order by
/// `verify` and in key order from the table and still compare.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReferenceDigest {
    count: u64,
    sum: u128,
}

impl ReferenceDigest {
    /// Adds the pair (`target`, `by`).
    pub fn add(&mut self, target: crate::model::Seq, by: crate::model::Seq) {
        let mut pair = [0u8; 16];
        pair[..8].copy_from_slice(&target.0.to_le_bytes());
        pair[8..].copy_from_slice(&by.0.to_le_bytes());
        let h = sha256(&pair);
        let mut low = [0u8; 16];
        low.copy_from_slice(&h[..16]);
        self.count += 1;
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(low));
    }

    /// Pairs added.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// Compares the file's saved snapshot and references with the registers and references that
/// `verify` derived from all `entries` of the ledger. Returns the problem found, if any.
///
/// A file without a snapshot (written before snapshots existed) or with one of an older layout
/// has nothing to compare, a
/// snapshot behind the last entry (left by an older build that appended without updating it)
/// is caught up by the next writer, and a file that has grown since `verify` read its entries
/// (a writer appended meanwhile) is not comparable; none of these is a failure. A
/// snapshot that claims an entry the ledger does not hold, one that differs from the
/// registers, or references that differ from the entries' are.
pub fn check_index(
    store: &Store,
    reg: &Registers,
    expected: &ReferenceDigest,
) -> Result<Option<String>, StoreError> {
    let mut stored = ReferenceDigest::default();
    let mut unreadable = None;
    let (entries, snapshot) = store.read_index(|pair| match pair {
        Ok((target, by)) => stored.add(crate::model::Seq(target), crate::model::Seq(by)),
        Err(why) => {
            unreadable.get_or_insert(why);
        }
    })?;
    let verified = reg.head.map_or(0, |(s, _, _)| s.0 + 1);
    if entries != verified {
        return Ok(None);
    }
    let Some(bytes) = snapshot else {
        return Ok(None);
    };
    // A snapshot of an older layout (an older build wrote it) is replaced by the next writer,
    // which replays the log instead of reading it: like a missing one, nothing to compare.
    let saved_version = bytes.get(..2).map(|v| u16::from_le_bytes([v[0], v[1]]));
    if saved_version.is_some_and(|v| v < crate::registers::SNAPSHOT_VERSION) {
        return Ok(None);
    }
    let Some(saved) = codec::decode_snapshot(&bytes) else {
        return Ok(Some(
            "the saved register snapshot cannot be read".to_owned(),
        ));
    };
    let (Some((saved_seq, saved_hash, _)), Some((head, head_hash, _))) = (saved.head, reg.head)
    else {
        return Ok(Some(
            "the saved register snapshot names no last entry".to_owned(),
        ));
    };
    if saved_seq > head {
        return Ok(Some(format!(
            "the saved register snapshot is of {saved_seq}, beyond the last entry {head}"
        )));
    }
    if saved_seq < head {
        return Ok(None);
    }
    if saved_hash != head_hash {
        return Ok(Some(format!(
            "the saved register snapshot is of a different {head} than the ledger holds"
        )));
    }
    let ours = codec::encode_snapshot(&reg.snapshot()).ok();
    if ours.as_deref() != Some(bytes.as_slice()) {
        return Ok(Some(format!(
            "the saved register snapshot (as of {head}) differs from the registers the entries give"
        )));
    }
    if let Some(why) = unreadable {
        return Ok(Some(format!("the references index cannot be read: {why}")));
    }
    if stored != *expected {
        return Ok(Some(format!(
            "the references index holds {} references, but the entries make {}{}",
            stored.count(),
            expected.count(),
            if stored.count() == expected.count() {
                " different ones"
            } else {
                ""
            }
        )));
    }
    Ok(None)
}
