//! Flag dispositions: what a party did about a flag `verify` raised on an entry
//! (reviewed with no action, accepted as an exception, escalated, remediated by a correction).
//!
//! A disposition is a signed entry (format 2, body kind 14). The rulebook checks its shape
//! (`disposition-target`, `disposition-by-party`, `disposition-remedy`); the writer also
//! refuses one for a flag the entry does not raise, which [`flags_on`] answers with `verify`'s
//! own judgement. `verify` shows disposed flags apart from open ones.

use crate::model::{Body, Disposition, DispositionAction, Seq, Timestamp};
use crate::policy::{Flag, FlagCode};
use crate::store::Store;
use crate::verify::{DispositionRecord, FlagFilter, VerifyError, VerifyOptions, verify_ledger};

/// The flags `verify` raises on entry `seq` as of `as_of`: open, already disposed of (with the
/// latest disposition), or replaced by a correction.
pub fn flags_on(
    store: &Store,
    seq: Seq,
    as_of: Timestamp,
) -> Result<Vec<(Flag, Option<DispositionRecord>)>, VerifyError> {
    let opts = VerifyOptions {
        as_of,
        ..VerifyOptions::default()
    };
    let report = verify_ledger(store, &opts, &FlagFilter::default())?;
    let open = report
        .policy
        .flags
        .into_iter()
        .filter(|f| f.seq == seq)
        .map(|f| (f, None));
    let disposed = report
        .policy
        .disposed
        .into_iter()
        .filter(|d| d.flag.seq == seq)
        .map(|d| (d.flag, Some(d.disposition)));
    // A corrected disclosure's own flags: the correction is what a "remediated" disposition
    // names.
    let replaced = report
        .policy
        .replaced
        .into_iter()
        .filter(|f| f.seq == seq)
        .map(|f| (f, None));
    Ok(open.chain(disposed).chain(replaced).collect())
}

/// The body of a disposition of flag `code` on entry `entry`.
pub fn disposition(
    entry: Seq,
    code: FlagCode,
    action: DispositionAction,
    correction: Option<Seq>,
    note: &str,
    reviewer_role: &str,
) -> Body {
    Body::Disposition(Disposition {
        entry,
        flag: code.code().to_owned(),
        action,
        correction,
        note: note.trim().to_owned(),
        reviewer_role: reviewer_role.trim().to_owned(),
    })
}
