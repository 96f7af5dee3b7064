//! The head an operator's node judges submissions against, and what it tells the submissions
//! waiting in line (docs/DECISIONS.md, "Submitting to a remote log").
//!
//! The sequencer moves the head as it stages entries. A submission signed for exactly the
//! head, on its way to the sequencer, *promises* the head it will make if accepted: the line
//! is told that head at once, so the next submitter signs while this one is judged. A promise
//! is advice, never a decision — the sequencer judges every entry against the head as staged,
//! and an entry signed against a promise that was not kept is answered 409 like any other.

use std::collections::VecDeque;

/// How many of the latest heads are remembered (position and entry hash), to answer a
/// submission signed for a position another entry has taken without reading the ledger.
const RECENT_HEADS: usize = 4096;

/// A position and the hash of the entry before it: what an entry is signed against.
pub(crate) type Position = (u64, [u8; 32]);

/// The head a submission signed for `position` makes if it is accepted: after its last entry,
/// whose leaf hash is `last`, `count` positions on.
pub(crate) fn made_by(position: Position, count: u64, last: [u8; 32]) -> Position {
    (position.0 + count, last)
}

/// The head as staged, the promise made on it, and whether the line was told.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    /// The next position and the hash of the entry before it (zeros before the genesis).
    current: Position,
    /// A submission signed for `current` is being judged: the head it makes if accepted.
    promise: Option<Position>,
    /// Whether a submission waiting in line was told the advertised head already.
    told: bool,
    /// The latest heads' (position, entry hash), in order, all before the head (the entries
    /// inside a chain are not among them).
    recent: VecDeque<(u64, [u8; 32])>,
}

impl Head {
    /// The head of a log whose next position is `next`, after the entry with `hash`.
    pub(crate) fn new(next: u64, hash: [u8; 32]) -> Head {
        let mut recent = VecDeque::new();
        if let Some(last) = next.checked_sub(1) {
            recent.push_back((last, hash));
        }
        Head {
            current: (next, hash),
            promise: None,
            told: false,
            recent,
        }
    }

    /// The head as staged.
    pub(crate) fn current(&self) -> Position {
        self.current
    }

    /// The head the line is told: the promised one while a promise stands, else the head.
    pub(crate) fn advertised(&self) -> Position {
        self.promise.unwrap_or(self.current)
    }

    /// The promised head, while a promise stands.
    pub(crate) fn promised(&self) -> Option<Position> {
        self.promise
    }

    /// Moves the head to `(next, hash)` (the sequencer staged or dropped entries). A promise
    /// is kept or broken by it. Returns whether the advertised head changed (wake the line).
    pub(crate) fn set(&mut self, next: u64, hash: [u8; 32]) -> bool {
        let before = self.advertised();
        if self.current != (next, hash) {
            // Positions from the new head's on were dropped or are taken again.
            while self
                .recent
                .back()
                .is_some_and(|(seq, _)| seq.saturating_add(1) >= next)
            {
                self.recent.pop_back();
            }
            if let Some(last) = next.checked_sub(1) {
                self.recent.push_back((last, hash));
            }
            if self.recent.len() > RECENT_HEADS {
                self.recent.pop_front();
            }
            self.current = (next, hash);
            // Kept (the head is the promised one) or overtaken: either way it is over.
            self.promise = None;
        }
        self.changed_from(before)
    }

    /// A submission signed for `base` (the head, if it still is) will make `result` if it is
    /// accepted. Returns whether the advertised head changed (wake the line).
    pub(crate) fn promise(&mut self, base: Position, result: Position) -> bool {
        if self.current != base || self.promise.is_some() {
            return false;
        }
        let before = self.advertised();
        self.promise = Some(result);
        self.changed_from(before)
    }

    /// The submission that promised `result` was not staged: the head stays. Returns whether
    /// the advertised head changed (wake the line).
    pub(crate) fn break_promise(&mut self, result: Position) -> bool {
        self.promise == Some(result) && self.break_all()
    }

    /// Every promise is off (the sequencer started again).
    pub(crate) fn break_all(&mut self) -> bool {
        let before = self.advertised();
        self.promise = None;
        self.changed_from(before)
    }

    /// The advertised head, unless a submission in line was told it already; marks it told.
    pub(crate) fn tell(&mut self) -> Option<Position> {
        (!self.told).then(|| {
            self.told = true;
            self.advertised()
        })
    }

    /// The hash of the entry staged or recorded at `seq`, if it is one of the latest heads.
    pub(crate) fn recent_hash(&self, seq: u64) -> Option<[u8; 32]> {
        let at = self.recent.binary_search_by_key(&seq, |(s, _)| *s).ok()?;
        self.recent.get(at).map(|(_, hash)| *hash)
    }

    /// After a change: a new advertised head has not been told to anyone.
    fn changed_from(&mut self, before: Position) -> bool {
        let changed = self.advertised() != before;
        if changed {
            self.told = false;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H0: Position = (5, [0; 32]);
    const H1: Position = (6, [1; 32]);
    const H2: Position = (7, [2; 32]);

    #[test]
    fn a_head_is_told_once_and_again_after_it_moves() {
        let mut h = Head::new(H0.0, H0.1);
        assert_eq!(h.tell(), Some(H0));
        assert_eq!(h.tell(), None);
        assert!(h.set(H1.0, H1.1));
        assert_eq!(h.tell(), Some(H1));
        assert_eq!(h.recent_hash(5), Some([1; 32]));
        assert_eq!(h.recent_hash(4), Some([0; 32]));
    }

    #[test]
    fn a_kept_promise_is_not_told_twice() {
        let mut h = Head::new(H0.0, H0.1);
        assert_eq!(h.tell(), Some(H0));
        assert!(h.promise(H0, H1));
        assert_eq!(h.tell(), Some(H1));
        // The promised entry is staged: the head the line was told is the head now.
        assert!(!h.set(H1.0, H1.1));
        assert_eq!(h.tell(), None);
        assert_eq!(h.promised(), None);
    }

    #[test]
    fn a_broken_promise_tells_the_head_again() {
        let mut h = Head::new(H0.0, H0.1);
        assert_eq!(h.tell(), Some(H0));
        assert!(h.promise(H0, H1));
        assert_eq!(h.tell(), Some(H1));
        // Another promise on the same head is not made; breaking one not made does nothing.
        assert!(!h.promise(H0, H2));
        assert!(!h.break_promise(H2));
        assert!(h.break_promise(H1));
        assert_eq!(h.tell(), Some(H0));
    }

    #[test]
    fn an_overtaken_promise_is_over_and_the_new_head_told() {
        let mut h = Head::new(H0.0, H0.1);
        assert!(h.promise(H0, H1));
        assert_eq!(h.tell(), Some(H1));
        // Another entry took position 5.
        let other = (6, [9; 32]);
        assert!(h.set(other.0, other.1));
        assert_eq!(h.tell(), Some(other));
        // A promise on a head that has moved on is not made.
        assert!(!h.promise(H0, H1));
    }

    #[test]
    fn dropped_positions_are_forgotten() {
        let mut h = Head::new(H0.0, H0.1);
        h.set(H1.0, H1.1);
        h.set(H2.0, H2.1);
        assert_eq!(h.recent_hash(6), Some([2; 32]));
        // Entries from position 5 on were dropped (a failed write): back to H0.
        h.set(H0.0, H0.1);
        assert_eq!(h.recent_hash(6), None);
        assert_eq!(h.recent_hash(5), None);
        assert_eq!(h.recent_hash(4), Some([0; 32]));
    }
}
