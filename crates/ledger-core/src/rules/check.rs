//! Checking one entry against the rulebook, given the registers of the log before it. Signature
//! and chain checks are not done here (they need the bytes); see `verify`.

use super::*;
use crate::hash::sha256;
use crate::keys::PublicKey;
use crate::model::{
    Body, CategoryKind, CompanyId, CompanyRef, Disclosure, Disposition, DispositionAction, Entry,
    EntryKind, Gateway, Outcome, PartyId, PolicyDocument, PublicKeyRecord, Refusal,
};
use crate::registers::{Act, KeyStatus, Registers};

/// The breaches collected for one entry.
struct Found(Vec<Breach>);

impl Found {
    fn add(&mut self, rule: &'static Rule, detail: String) {
        self.0.push(Breach { rule, detail });
    }
}

/// Checks `entry` against the rulebook, given the registers of the log before it. An empty
/// result means the entry breaks no rule.
pub fn check_entry(reg: &Registers, entry: &Entry) -> Vec<Breach> {
    let mut out = Found(Vec::new());
    let signer = &entry.signer.party;
    let seq = entry.seq;

    if let Body::Genesis(g) = &entry.body {
        if seq.0 != 0 || reg.origin.is_some() {
            out.add(
                GENESIS_FIRST,
                format!("a second genesis entry appears at {seq}"),
            );
            return out.0;
        }
        if g.parties.len() < 2 {
            out.add(
                GENESIS_PARTIES,
                "genesis names fewer than two parties".into(),
            );
        }
        for (i, p) in g.parties.iter().enumerate() {
            if g.parties[..i].iter().any(|q| q.id == p.id) {
                out.add(
                    GENESIS_PARTIES,
                    format!("genesis names party {} twice", p.id),
                );
            }
            if let Err(e) = PublicKey::from_record(&p.trust_root) {
                out.add(TRUST_ROOT_VALID, format!("trust root of {}: {e}", p.id));
            }
        }
        match g.parties.iter().find(|p| &p.id == signer) {
            Some(p) if p.trust_root.key_id == entry.signer.key_id => {}
            Some(_) => out.add(
                GENESIS_SIGNER,
                format!("genesis is not signed by {signer}'s trust-root key"),
            ),
            None => out.add(
                GENESIS_SIGNER,
                format!("genesis is signed by {signer}, which it does not name as a party"),
            ),
        }
        check_policy(&g.policy, &mut out);
        return out.0;
    }
    if reg.origin.is_none() {
        out.add(
            GENESIS_FIRST,
            format!("{seq} comes before any genesis entry"),
        );
        return out.0;
    }

    match reg.key_status(signer, entry.signer.key_id, seq) {
        KeyStatus::Valid => {}
        KeyStatus::UnknownParty => out.add(
            SIGNER_KEY_VALID,
            format!("signed by {signer}, which is not a party to this ledger"),
        ),
        KeyStatus::UnknownKey => out.add(
            SIGNER_KEY_VALID,
            format!(
                "signed with key {} which is not a key of {signer} at this point",
                entry.signer.key_id
            ),
        ),
        KeyStatus::Ended(at) => out.add(
            KEY_USED_AFTER_END,
            format!(
                "signed with {signer}'s key {} after it was rotated or revoked at {at}",
                entry.signer.key_id
            ),
        ),
    }

    if entry.version < reg.format {
        out.add(
            FORMAT_ORDER,
            format!(
                "{seq} is a format {} entry after format {} entries",
                entry.version, reg.format
            ),
        );
    }

    let at = entry.recorded_at;
    let joint = entry.version >= 2;
    match &entry.body {
        Body::Genesis(_) => unreachable!("handled above"),
        Body::KeyAdded(k) => {
            if &k.party != signer {
                out.add(
                    KEY_CHANGE_OWN,
                    format!("{signer} added a key for {}", k.party),
                );
            }
            check_new_key(reg, &k.party, &k.key, &mut out);
        }
        Body::KeyRotated(k) => {
            if &k.party != signer {
                out.add(
                    KEY_CHANGE_OWN,
                    format!("{signer} rotated a key of {}", k.party),
                );
            }
            if !matches!(reg.key_status(&k.party, k.old, seq), KeyStatus::Valid) {
                out.add(
                    KEY_CHANGE_TARGET,
                    format!(
                        "rotates key {} which is not a valid key of {}",
                        k.old, k.party
                    ),
                );
            }
            check_new_key(reg, &k.party, &k.new, &mut out);
        }
        Body::KeyRevoked(k) => {
            if &k.party != signer {
                out.add(
                    KEY_CHANGE_OWN,
                    format!("{signer} revoked a key of {}", k.party),
                );
            }
            if !matches!(reg.key_status(&k.party, k.key_id, seq), KeyStatus::Valid) {
                out.add(
                    KEY_CHANGE_TARGET,
                    format!(
                        "revokes key {} which is not a valid key of {}",
                        k.key_id, k.party
                    ),
                );
            }
        }
        Body::PolicyAdopted(p) => check_policy(p, &mut out),
        Body::ThemeDeclared(t) => {
            if reg.theme_in_force(&t.id, at) {
                out.add(
                    THEME_DECLARE_NEW,
                    format!("declares theme {}, which is already in force", t.id),
                );
            }
            if let Some((open, _)) = reg.pending_for_theme(&t.id).filter(|_| joint) {
                out.add(
                    THEME_DECLARE_NEW,
                    format!(
                        "proposes to declare theme {}, about which {open} is still open",
                        t.id
                    ),
                );
            }
            if t.title.trim().is_empty() {
                out.add(
                    THEME_DECLARE_NEW,
                    format!("declares theme {} with no title", t.id),
                );
            }
        }
        Body::ThemeRetired(t) => {
            if !reg.theme_in_force(&t.id, at) {
                out.add(
                    THEME_RETIRE_IN_FORCE,
                    format!("retires theme {}, which is not in force", t.id),
                );
            }
            if let Some((open, _)) = reg.pending_for_theme(&t.id).filter(|_| joint) {
                out.add(
                    THEME_RETIRE_IN_FORCE,
                    format!(
                        "proposes to retire theme {}, about which {open} is still open",
                        t.id
                    ),
                );
            }
        }
        Body::DesignationProposed(p) => {
            check_company_name(reg, &p.company, &mut out);
            let id = &p.company.id;
            let with = if joint {
                pair_member(reg, signer, p.with.as_ref(), "proposes", id, &mut out)
            } else {
                None
            };
            let (mutual, open) = match with {
                Some(w) => (
                    reg.is_mutual(id, signer, w, at),
                    reg.proposal_open(id, signer, w),
                ),
                None => (reg.is_mutual_any(id, at), reg.proposal_open_any(id)),
            };
            let pair = with.map_or(String::new(), |w| format!(" to {signer} and {w}"));
            if mutual {
                out.add(
                    DESIGNATION_PROPOSE,
                    format!("proposes {id}, which is already of mutual interest{pair}"),
                );
            } else if open {
                out.add(
                    DESIGNATION_PROPOSE,
                    format!("proposes {id}, for which a proposal{pair} is already open"),
                );
            }
        }
        Body::DesignationConfirmed(_) if joint => out.add(
            DESIGNATION_CONFIRM,
            "is a designation-confirmed entry of format 2, which confirms a designation with a \
             `confirmed` entry"
                .into(),
        ),
        Body::DesignationConfirmed(d) => {
            let proposal = reg.entry(d.proposal);
            if d.proposal >= seq
                || proposal.is_none_or(|p| p.kind != EntryKind::DesignationProposed)
            {
                out.add(
                    DESIGNATION_CONFIRM,
                    format!(
                        "confirms {}, which is not an earlier designation proposal",
                        d.proposal
                    ),
                );
            } else {
                let listed = reg
                    .companies
                    .get(&d.company)
                    .and_then(|c| c.proposals.iter().find(|p| p.seq == d.proposal));
                match listed {
                    None => out.add(
                        DESIGNATION_CONFIRM,
                        format!(
                            "confirms {} for company {}, but that proposal is for another company",
                            d.proposal, d.company
                        ),
                    ),
                    Some(p) if !p.open => out.add(
                        DESIGNATION_CONFIRM,
                        format!(
                            "confirms {} for company {}, a proposal already confirmed or ended",
                            d.proposal, d.company
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
        Body::DesignationEnded(d) => {
            let with = if joint {
                pair_member(reg, signer, d.with.as_ref(), "ends", &d.company, &mut out)
            } else {
                None
            };
            let (mutual, open, pair) = match with {
                Some(w) => (
                    reg.is_mutual(&d.company, signer, w, at),
                    reg.proposal_open(&d.company, signer, w),
                    format!(" to {signer} and {w}"),
                ),
                None => (
                    reg.is_mutual_any(&d.company, at),
                    reg.proposal_open_any(&d.company),
                    String::new(),
                ),
            };
            if (!joint || with.is_some()) && !mutual && !open {
                out.add(
                    DESIGNATION_END,
                    format!(
                        "ends the designation of {}, which is neither of mutual interest{pair} \
                         nor proposed",
                        d.company
                    ),
                );
            }
        }
        Body::Confirmed(c) => {
            check_confirmation(reg, entry, c.proposal, c.effective_from, &mut out)
        }
        Body::Disposition(d) => check_disposition(reg, entry, d, &mut out),
        Body::Refusal(r) => check_refusal(reg, entry, r, &mut out),
        Body::Erasure(e) => check_erasure(reg, entry, e, &mut out),
        Body::Disclosure(d) => check_disclosure(reg, entry, d, "disclosure", &mut out),
        Body::Acknowledgement(a) => match reg.disclosures.get(a.disclosure) {
            Some(d) if a.disclosure < seq => {
                if &d.to != signer {
                    out.add(
                        ACK_BY_RECIPIENT,
                        format!(
                            "acknowledgement of {} is signed by {signer}, but the recipient was {}",
                            a.disclosure, d.to
                        ),
                    );
                }
                if let Some((first, _)) = d.acknowledged {
                    out.add(
                        ACK_ONCE,
                        format!(
                            "acknowledges {}, which {first} already acknowledged",
                            a.disclosure
                        ),
                    );
                }
                if a.received_at < d.disclosed_at {
                    out.add(
                        ACK_DATES,
                        format!(
                            "says {} was received at {}, before it was disclosed at {}",
                            a.disclosure, a.received_at, d.disclosed_at
                        ),
                    );
                }
                if a.received_at.0 > at.0 + FUTURE_TOLERANCE_SECS {
                    out.add(
                        ACK_DATES,
                        format!(
                            "says {} was received at {}, after the acknowledgement was recorded \
                             at {at}",
                            a.disclosure, a.received_at
                        ),
                    );
                }
            }
            _ => out.add(
                ACK_TARGET,
                format!(
                    "acknowledges {}, which is not an earlier disclosure",
                    a.disclosure
                ),
            ),
        },
        Body::Correction(c) => {
            match reg.entry(c.supersedes).filter(|_| c.supersedes < seq) {
                None => out.add(
                    CORRECTION_TARGET,
                    format!("corrects {}, which is not an earlier entry", c.supersedes),
                ),
                Some(target) => {
                    if target.kind == EntryKind::Genesis {
                        out.add(
                            CORRECTION_TARGET,
                            format!("corrects the genesis entry {}", c.supersedes),
                        );
                    }
                    if reg.party_at(target.signer) != Some(signer) {
                        out.add(
                            CORRECTION_BY_AUTHOR,
                            format!(
                                "{signer} corrects {}, which another party recorded",
                                c.supersedes
                            ),
                        );
                    }
                    if c.replacement.is_some() && target.kind != EntryKind::Disclosure {
                        out.add(
                            CORRECTION_TARGET,
                            format!(
                                "carries a replacement disclosure but {} is an entry of kind {}",
                                c.supersedes, target.kind
                            ),
                        );
                    }
                    if let (true, Some(r), Some(old)) =
                        (joint, &c.replacement, reg.disclosures.get(c.supersedes))
                        && (r.from != old.from || r.to != old.to)
                    {
                        out.add(
                            CORRECTION_PARTIES,
                            format!(
                                "replaces {} ({}→{}) with a disclosure {}→{}; correct it without \
                                 a replacement and record the disclosure that happened anew",
                                c.supersedes, old.from, old.to, r.from, r.to
                            ),
                        );
                    }
                }
            }
            if c.reason.trim().is_empty() {
                out.add(
                    CORRECTION_TARGET,
                    "gives no reason for the correction".into(),
                );
            }
            if let Some(r) = &c.replacement {
                check_disclosure(reg, entry, r, "replacement disclosure", &mut out);
            }
        }
    }
    out.0
}

/// The other member of the signer's pair a format 2 designation names, if it is one.
fn pair_member<'a>(
    reg: &Registers,
    signer: &PartyId,
    with: Option<&'a PartyId>,
    verb: &str,
    company: &CompanyId,
    out: &mut Found,
) -> Option<&'a PartyId> {
    match with {
        None => out.add(
            DESIGNATION_PAIR,
            format!("{verb} a designation of {company} without naming the other party of the pair"),
        ),
        Some(w) if w == signer => out.add(
            DESIGNATION_PAIR,
            format!("{verb} a designation of {company} with itself ({w}) as the other party"),
        ),
        Some(w) if !reg.parties.contains_key(w) => out.add(
            DESIGNATION_PAIR,
            format!(
                "{verb} a designation of {company} with {w}, which is not a party to this ledger"
            ),
        ),
        Some(w) => return Some(w),
    }
    None
}

/// The rules a format 2 confirmation obeys.
fn check_confirmation(
    reg: &Registers,
    entry: &Entry,
    proposal: crate::model::Seq,
    effective_from: crate::model::Timestamp,
    out: &mut Found,
) {
    let signer = &entry.signer.party;
    let Some(p) = reg.pending.get(&proposal).filter(|_| proposal < entry.seq) else {
        out.add(
            CONFIRM_TARGET,
            format!("confirms {proposal}, which is not an open proposal"),
        );
        return;
    };
    if &p.by == signer {
        out.add(
            CONFIRM_BY_BOUND,
            format!(
                "{signer} confirms its own proposal {proposal} ({}); only {} can",
                p.act.describe(),
                join(p.bound.iter())
            ),
        );
    } else if !p.bound.contains(signer) {
        out.add(
            CONFIRM_BY_BOUND,
            format!(
                "{signer} confirms {proposal} ({}), which binds only {} and {}",
                p.act.describe(),
                p.by,
                join(p.bound.iter())
            ),
        );
    } else if p.confirmed.contains(signer) {
        out.add(
            CONFIRM_BY_BOUND,
            format!("{signer} confirms {proposal} a second time"),
        );
    }
    let expected = match (&p.act, p.effective_from) {
        (_, Some(first)) => Some((first, "the first confirmation's")),
        (Act::AdoptPolicy(doc), None) => Some((doc.effective_from, "the policy's own")),
        _ => None,
    };
    if let Some((date, whose)) = expected
        && date != effective_from
    {
        out.add(
            CONFIRM_DATE,
            format!(
                "confirms {proposal} as effective from {effective_from}, but {whose} effective \
                 date is {date}"
            ),
        );
    }
}

fn join<'a>(parties: impl Iterator<Item = &'a PartyId>) -> String {
    parties
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The rules every disclosure obeys, a new one or a correction's replacement alike.
fn check_disclosure(reg: &Registers, entry: &Entry, d: &Disclosure, what: &str, out: &mut Found) {
    let signer = &entry.signer.party;
    if &d.from != signer {
        out.add(
            DISCLOSURE_SIGNER,
            format!("{what} from {} is signed by {signer}", d.from),
        );
    }
    if !reg.parties.contains_key(&d.to) {
        out.add(
            DISCLOSURE_RECIPIENT,
            format!("{what} to {}, which is not a party to this ledger", d.to),
        );
    } else if d.to == d.from {
        out.add(
            DISCLOSURE_RECIPIENT,
            format!("{what} from {} to itself", d.from),
        );
    }
    if let Some(dup) = first_duplicate(d.fields.iter().map(|f| f.name.as_str())) {
        out.add(DISCLOSURE_UNIQUE, format!("{what} lists field {dup} twice"));
    }
    let companies = d.category.companies();
    if let Some(dup) = first_duplicate(companies.iter().map(|c| c.id.as_str())) {
        out.add(
            DISCLOSURE_UNIQUE,
            format!("{what} names company {dup} twice"),
        );
    }
    let themes = d.category.themes();
    if let Some(dup) = first_duplicate(themes.iter().map(|t| t.as_str())) {
        out.add(DISCLOSURE_UNIQUE, format!("{what} names theme {dup} twice"));
    }
    for t in themes {
        if entry.version < 2 && !reg.themes.contains_key(t) {
            out.add(
                DISCLOSURE_THEMES_DECLARED,
                format!("{what} names theme {t}, which the ledger has never declared"),
            );
        }
    }
    for c in companies {
        check_company_name(reg, c, out);
    }
    if entry.version >= 2 {
        check_format_2_parts(d, what, out);
    }
    if d.disclosed_at.0 > entry.recorded_at.0 + FUTURE_TOLERANCE_SECS {
        out.add(
            DISCLOSURE_NOT_FUTURE,
            format!(
                "{what} is dated {}, after it was recorded at {}",
                d.disclosed_at, entry.recorded_at
            ),
        );
    }
}

/// The parts format 2 adds to a disclosure, as the writer's input checks leave them.
fn check_format_2_parts(d: &Disclosure, what: &str, out: &mut Found) {
    if let Some(decision) = &d.decision {
        if d.category.kind() != CategoryKind::CaseByCase {
            out.add(
                DISCLOSURE_PARTS,
                format!(
                    "{what} records a case decision but is {}",
                    d.category.kind()
                ),
            );
        }
        if decision.outcome == Outcome::Decline {
            out.add(
                DISCLOSURE_PARTS,
                format!("{what} records the outcome \"decline\": nothing was disclosed"),
            );
        }
        if decision.reasoning.trim().is_empty() {
            out.add(
                DISCLOSURE_PARTS,
                format!("{what} records a case decision without its reasoning"),
            );
        }
    }
    if let Gateway::NotEngaged { reason } = &d.gateway
        && reason.trim().is_empty()
    {
        out.add(
            DISCLOSURE_PARTS,
            format!("{what} says no gateway is engaged without saying why"),
        );
    }
    let parts = [
        ("function", &d.basis.function),
        ("necessity", &d.basis.necessity),
        ("power", &d.basis.power),
        ("agreement", &d.basis.agreement),
        ("joint engagement", &d.joint_engagement),
    ];
    for (name, value) in parts {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            out.add(DISCLOSURE_PARTS, format!("{what} has an empty {name}"));
        }
    }
}

/// A company named with another name than the one the ledger first recorded for its id.
fn check_company_name(reg: &Registers, c: &CompanyRef, out: &mut Found) {
    if let Some(known) = reg.companies.get(&c.id)
        && known.name != c.name
    {
        out.add(
            COMPANY_NAME_CONSISTENT,
            format!(
                "names company {} as {:?}, but the ledger records it as {:?}",
                c.id, c.name, known.name
            ),
        );
    }
}

/// The first item listed twice. Lists are short (a disclosure names at most a few companies,
/// themes and 32 fields), so comparing pairs beats building a set, and allocates nothing in
/// the common case.
fn first_duplicate<'a>(items: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen: seen::Seen<'a> = seen::Seen::default();
    items.into_iter().find(|i| !seen.insert(i))
}

/// A tiny set of the items seen so far: a fixed array for the first few, a `BTreeSet` beyond.
mod seen {
    use std::collections::BTreeSet;

    const INLINE: usize = 8;

    #[derive(Default)]
    pub(super) struct Seen<'a> {
        inline: [&'a str; INLINE],
        len: usize,
        more: BTreeSet<&'a str>,
    }

    impl<'a> Seen<'a> {
        /// Adds `item`; false if it was seen before.
        pub(super) fn insert(&mut self, item: &'a str) -> bool {
            if self.inline[..self.len.min(INLINE)].contains(&item) || self.more.contains(item) {
                return false;
            }
            if self.len < INLINE {
                self.inline[self.len] = item;
            } else {
                self.more.insert(item);
            }
            self.len += 1;
            true
        }
    }
}

fn check_new_key(reg: &Registers, party: &PartyId, key: &PublicKeyRecord, out: &mut Found) {
    if let Err(e) = PublicKey::from_record(key) {
        out.add(NEW_KEY_VALID, format!("new key of {party}: {e}"));
    }
    if reg.party_of_key(key.key_id).is_some() {
        out.add(
            NEW_KEY_VALID,
            format!("key id {} is already registered", key.key_id),
        );
    }
}

fn check_policy(policy: &PolicyDocument, out: &mut Found) {
    if sha256(policy.text.as_bytes()) != policy.sha256 {
        out.add(
            POLICY_HASH,
            format!(
                "policy {:?}: recorded SHA-256 does not match the document's text",
                policy.label
            ),
        );
    }
}

/// A flag disposition: an earlier flaggable entry, a real flag code, a note and a role; by a
/// party to the flagged disclosure; "remediated" with the correction that put it right.
fn check_disposition(reg: &Registers, entry: &Entry, d: &Disposition, out: &mut Found) {
    let seq = entry.seq;
    let signer = &entry.signer.party;
    let target = reg.entry(d.entry).filter(|_| d.entry < seq);
    let flaggable = target.as_ref().is_some_and(|t| {
        matches!(
            t.kind,
            EntryKind::Disclosure
                | EntryKind::Correction
                | EntryKind::PolicyAdopted
                | EntryKind::Genesis
        )
    });
    if !flaggable {
        out.add(
            DISPOSITION_TARGET,
            format!(
                "disposes of a flag on {}, which is not an earlier disclosure, correction or policy entry",
                d.entry
            ),
        );
    }
    if crate::policy::FlagCode::from_code(&d.flag).is_none() {
        out.add(
            DISPOSITION_TARGET,
            format!("names flag {:?}, which is not a flag code", d.flag),
        );
    }
    if d.note.trim().is_empty() || d.reviewer_role.trim().is_empty() {
        out.add(
            DISPOSITION_TARGET,
            "records no note of what was found, or no reviewer's role".into(),
        );
    }
    if let Some(row) = reg.disclosures.get(d.entry)
        && &row.from != signer
        && &row.to != signer
    {
        out.add(
            DISPOSITION_BY_PARTY,
            format!(
                "{signer} disposes of a flag on {} ({}→{}), a disclosure it is not a party to",
                d.entry, row.from, row.to
            ),
        );
    }
    match (d.action, d.correction) {
        (DispositionAction::Remediated, Some(c)) => {
            let corrects = c < seq
                && reg
                    .disclosures
                    .get(d.entry)
                    .is_some_and(|row| row.corrected_by.contains(&c));
            if !corrects {
                out.add(
                    DISPOSITION_REMEDY,
                    format!(
                        "says {} was remediated by {c}, which is not an earlier correction of it",
                        d.entry
                    ),
                );
            }
        }
        (DispositionAction::Remediated, None) => out.add(
            DISPOSITION_REMEDY,
            "says \"remediated\" without naming the correction that put it right".into(),
        ),
        (action, Some(c)) => out.add(
            DISPOSITION_REMEDY,
            format!("says \"{}\" but names correction {c}", action.as_str()),
        ),
        (_, None) => {}
    }
}

/// An erasure of vault values: fields of earlier disclosures its signer is a party to, each
/// once, with the retention rule applied and a reason.
fn check_erasure(reg: &Registers, entry: &Entry, e: &crate::model::Erasure, out: &mut Found) {
    let seq = entry.seq;
    let signer = &entry.signer.party;
    if e.fields.is_empty() {
        out.add(ERASURE_PARTS, "names no field erased".into());
    }
    if e.retention_rule.trim().is_empty() || e.reason.trim().is_empty() {
        out.add(
            ERASURE_PARTS,
            "records no retention rule applied, or no reason".into(),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for f in &e.fields {
        if !seen.insert((f.entry, f.field.as_str())) {
            out.add(
                ERASURE_PARTS,
                format!("names field {} of {} twice", f.field, f.entry),
            );
        }
    }
    let mut targets: Vec<crate::model::Seq> = e.fields.iter().map(|f| f.entry).collect();
    targets.dedup();
    for t in targets {
        // A format 1 correction's replacement is not summarised in the registers: its values
        // may be erased by the party that recorded it.
        let format1_correction = reg
            .entry(t)
            .filter(|e| t < seq && e.kind == crate::model::EntryKind::Correction)
            .and_then(|e| reg.party_at(e.signer).cloned());
        match reg.disclosures.get(t).filter(|_| t < seq) {
            None => match format1_correction {
                Some(author) if &author == signer => {}
                Some(author) => out.add(
                    ERASURE_PARTS,
                    format!("{signer} erases fields of {t}, a correction {author} recorded"),
                ),
                None => out.add(
                    ERASURE_PARTS,
                    format!(
                        "erases fields of {t}, which is not an earlier disclosure or replacement"
                    ),
                ),
            },
            Some(row) if &row.from != signer && &row.to != signer => out.add(
                ERASURE_PARTS,
                format!(
                    "{signer} erases fields of {t} ({}→{}), a disclosure it is not a party to",
                    row.from, row.to
                ),
            ),
            Some(_) => {}
        }
    }
}

/// A refusal to disclose (statement §4's case-by-case assessment that decided against): by the
/// regulator that declined, to another party, with its assessment and reasoning.
fn check_refusal(reg: &Registers, entry: &Entry, r: &Refusal, out: &mut Found) {
    let signer = &entry.signer.party;
    let mut problem = |m: String| out.add(REFUSAL_PARTS, m);
    if &r.from != signer {
        problem(format!("a refusal by {} is signed by {signer}", r.from));
    }
    if r.to == r.from {
        problem(format!("a refusal names {} as both ends", r.from));
    } else if !reg.parties.contains_key(&r.to) {
        problem(format!(
            "a refusal names {}, which is not a party of the ledger",
            r.to
        ));
    }
    if r.assessment.reference.trim().is_empty() || r.assessment.approver.trim().is_empty() {
        problem("a refusal records no assessment reference or approver".into());
    }
    if r.reasoning.trim().is_empty() || r.officer_role.trim().is_empty() {
        problem("a refusal records no reasoning summary or officer's role".into());
    }
    if r.decided_at.0 > entry.recorded_at.0 + FUTURE_TOLERANCE_SECS {
        problem(format!(
            "a refusal decided {} is recorded earlier, at {}",
            r.decided_at, entry.recorded_at
        ));
    }
    if let Some(dup) = first_duplicate(r.companies.iter().map(|c| c.id.as_str())) {
        problem(format!("a refusal names company {dup} twice"));
    }
    if let Some(dup) = first_duplicate(r.themes.iter().map(|t| t.as_str())) {
        problem(format!("a refusal names theme {dup} twice"));
    }
    for c in &r.companies {
        check_company_name(reg, c, out);
    }
}
