//! Selecting entries and following their history: the filters of `dledger list` (dates, party, company, theme, category,
//! kind) as a value the library can apply to any entry. Parsing the filters from text is the
//! command line's job; judging them is here, so a filter means the same wherever it is used.

use crate::codec::decode_entry;
use crate::ledger::{ReplayError, referring_entries};
use crate::model::{
    Body, CategoryKind, CompanyId, Entry, EntryKind, PartyId, Seq, ThemeId, Timestamp,
};
use crate::store::Store;

/// Which entries to select. Every bound is optional; an entry is selected when it meets all of
/// those given. Dates apply to a disclosure's disclosure date and to any other entry's
/// recording date. Company, theme and category select disclosures only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    /// On or after this instant.
    pub from: Option<Timestamp>,
    /// On or before this instant.
    pub to: Option<Timestamp>,
    /// Signed by this party, or a disclosure to it.
    pub party: Option<PartyId>,
    /// A disclosure naming this company.
    pub company: Option<CompanyId>,
    /// A disclosure about this Collaboration Theme.
    pub theme: Option<ThemeId>,
    /// A disclosure in this category.
    pub category: Option<CategoryKind>,
    /// An entry of this kind.
    pub kind: Option<EntryKind>,
}

impl EntryFilter {
    /// Whether `e` is selected.
    pub fn matches(&self, e: &Entry) -> bool {
        let disclosure = match &e.body {
            Body::Disclosure(d) => Some(d),
            _ => None,
        };
        let when = disclosure.map_or(e.recorded_at, |d| d.disclosed_at);
        if self.from.is_some_and(|f| when < f) || self.to.is_some_and(|t| when > t) {
            return false;
        }
        if self.kind.is_some_and(|k| e.body.kind() != k) {
            return false;
        }
        if let Some(p) = &self.party {
            let involved = &e.signer.party == p || disclosure.is_some_and(|d| &d.to == p);
            if !involved {
                return false;
            }
        }
        let needs_disclosure =
            self.company.is_some() || self.theme.is_some() || self.category.is_some();
        if needs_disclosure {
            let Some(d) = disclosure else { return false };
            if self
                .company
                .as_ref()
                .is_some_and(|c| !d.category.companies().iter().any(|x| &x.id == c))
            {
                return false;
            }
            if self
                .theme
                .as_ref()
                .is_some_and(|t| !d.category.themes().contains(t))
            {
                return false;
            }
            if self.category.is_some_and(|c| d.category.kind() != c) {
                return false;
            }
        }
        true
    }
}

/// An entry's place in the record: the entry it supersedes or answers (if any) and every later
/// entry that refers to it (acknowledgements, corrections, confirmations), each with the
/// entries that refer to *it* in turn (an acknowledgement of a correction, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// The entry this one refers to (a correction's superseded entry, an acknowledged
    /// disclosure, a confirmed proposal).
    pub refers_to: Option<Entry>,
    /// Later entries referring to this one, in order, each with its own referrers.
    pub later: Vec<(Entry, Vec<Entry>)>,
}

/// The history of entry `seq` in `store`: what it refers to and what refers to it, two levels
/// deep.
pub fn history(store: &Store, entry: &Entry) -> Result<History, ReplayError> {
    let len = Seq(store.len()?);
    let read = |seq: Seq| -> Result<Option<Entry>, ReplayError> {
        match store.get(seq.0)? {
            Some(r) => decode_entry(&r.bytes)
                .map(Some)
                .map_err(|source| ReplayError::Decode { seq, source }),
            None => Ok(None),
        }
    };
    let refers_to = match entry.body.refers_to() {
        Some(target) => read(target)?,
        None => None,
    };
    let mut later = Vec::new();
    for seq in referring_entries(store, entry.seq, len)? {
        let Some(e) = read(seq)? else { continue };
        let mut next = Vec::new();
        for s in referring_entries(store, seq, len)? {
            next.extend(read(s)?);
        }
        later.push((e, next));
    }
    Ok(History { refers_to, later })
}
