//! Building each kind of entry from validated input (`prepare_*`): parsing and resolving a
//! disclosure (parties, dates, themes, companies), and checking acknowledgements, corrections,
//! themes, designations and keys against the registers as they stand.
//!
//! A prepared entry is a [`Pending`] body, not yet numbered, chained or signed: that, and the
//! structural rules, are the job of `batch` when it is pushed.

use crate::hash::sha256;
use crate::input::{DisclosureInput, InputError, ParsedDisclosure};
use crate::keys::{PublicKey, SecretKey};
use crate::model::{
    Acknowledgement, Assessment, Body, CompanyId, CompanyRef, Confirmed, Correction,
    DesignationEnded, DesignationProposed, Disclosure, EntryKind, FORMAT_VERSION, KeyAdded, KeyId,
    KeyRevoked, KeyRotated, PartyId, PolicyDocument, Refusal, Relevance, Seq, ThemeDeclared,
    ThemeId, ThemeRetired, Timestamp,
};
use crate::policy::same_words;
use crate::registers::Act;
use crate::store::VaultItem;

use super::check::bad_reference;
use super::{AppendError, Ledger, Pending};

/// How far in the future (seconds) a disclosure date may be, to allow for clock skew: the
/// rulebook's tolerance, so the writer and `verify` agree.
pub use crate::rules::FUTURE_TOLERANCE_SECS;

/// Builds a policy document record from its text.
pub fn policy_document(label: &str, effective_from: Timestamp, text: &str) -> PolicyDocument {
    PolicyDocument {
        label: label.to_owned(),
        effective_from,
        sha256: sha256(text.as_bytes()),
        text: text.to_owned(),
    }
}

/// A new random 32-byte salt for a field commitment (docs/FORMAT.md §7.3).
pub fn fresh_salt() -> [u8; 32] {
    let mut s = [0u8; 32];
    rand::fill(&mut s[..]);
    s
}

impl Ledger {
    /// Checks a disclosure input against the registers and builds the body to append.
    pub fn prepare_disclosure(
        &self,
        input: &DisclosureInput,
        key: &SecretKey,
        now: Timestamp,
        salt: &mut dyn FnMut() -> [u8; 32],
    ) -> Result<Pending, AppendError> {
        let parsed = input.parse()?;
        let (disclosure, vault) = self.resolve_disclosure(&parsed, key, now, salt)?;
        Ok(Pending {
            body: Body::Disclosure(disclosure),
            vault,
        })
    }

    fn resolve_disclosure(
        &self,
        parsed: &ParsedDisclosure,
        key: &SecretKey,
        now: Timestamp,
        salt: &mut dyn FnMut() -> [u8; 32],
    ) -> Result<(Disclosure, Vec<VaultItem>), AppendError> {
        for p in [&parsed.from, &parsed.to] {
            if !self.reg.parties.contains_key(p) {
                return Err(self.unknown_party(p));
            }
        }
        if parsed.from == parsed.to {
            return Err(AppendError::SameParty(parsed.from.clone()));
        }
        self.check_key(&parsed.from, key)?;
        if parsed.disclosed_at > now.plus_seconds(FUTURE_TOLERANCE_SECS) {
            return Err(AppendError::FutureDate {
                field: "disclosed_at",
                value: parsed.disclosed_at,
                now,
            });
        }
        let mut companies = Vec::with_capacity(parsed.companies.len());
        for c in &parsed.companies {
            companies.push(self.resolve_company(&c.id, c.new_name.as_deref())?);
        }
        let relevance = match &parsed.relevance {
            None => None,
            Some(given) => Some(self.resolve_limb(&parsed.from, given, parsed.disclosed_at)?),
        };
        Ok(parsed.build(companies, relevance, salt))
    }

    /// The discloser's limb of §5 as the policy in force at `at` states it, if `given` names
    /// it (`limb`, or the limb's own words): a structured choice, never free text.
    fn resolve_limb(
        &self,
        from: &PartyId,
        given: &str,
        at: Timestamp,
    ) -> Result<Relevance, AppendError> {
        // The policy the disclosure will be judged by: the latest readable one in force (from
        // the shared cache; parsed once, under the write lock, on a miss).
        let cached = self
            .policies
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .cached_policy_at(&self.reg, at);
        let policy = match cached {
            Some(p) => p,
            None => self
                .policies
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .policy_at(&self.reg, at),
        };
        let limb = policy
            .and_then(|p| p.parties.get(from).and_then(|r| r.relevance.clone()))
            .ok_or_else(|| AppendError::NoLimb(from.clone()))?;
        if given.trim().eq_ignore_ascii_case("limb") || same_words(given, &limb) {
            Ok(Relevance::Limb {
                party: from.clone(),
                words: limb,
            })
        } else {
            Err(AppendError::NotTheLimb {
                party: from.clone(),
                given: given.to_owned(),
                limb,
            })
        }
    }

    fn resolve_company(
        &self,
        id: &CompanyId,
        new_name: Option<&str>,
    ) -> Result<CompanyRef, AppendError> {
        match (self.reg.companies.get(id), new_name) {
            (Some(c), None) => Ok(CompanyRef {
                id: id.clone(),
                name: c.name.clone(),
            }),
            (Some(c), Some(given)) if c.name == given => Ok(CompanyRef {
                id: id.clone(),
                name: c.name.clone(),
            }),
            (Some(c), Some(given)) => Err(AppendError::CompanyNameMismatch {
                company: id.clone(),
                registered: c.name.clone(),
                given: given.to_owned(),
            }),
            (None, Some(name)) => Ok(CompanyRef {
                id: id.clone(),
                name: name.to_owned(),
            }),
            (None, None) => Err(AppendError::UnknownCompany {
                company: id.clone(),
            }),
        }
    }

    /// The policy flags a prepared disclosure would raise if recorded now as the next entry.
    /// A correction's replacement disclosure is judged exactly like a new disclosure.
    pub fn flags_for(&self, pending: &Pending, now: Timestamp) -> Vec<crate::policy::Flag> {
        self.flags_for_at(pending, now, self.next_seq())
    }

    /// [`Ledger::flags_for`] for a disclosure that will be entry `seq` (a bulk import judges
    /// each line before any is written, against the registers as they are: disclosures change
    /// nothing another disclosure is judged by).
    pub fn flags_for_at(
        &self,
        pending: &Pending,
        now: Timestamp,
        seq: crate::model::Seq,
    ) -> Vec<crate::policy::Flag> {
        let (d, recorded_at) = match &pending.body {
            Body::Disclosure(d) => (d, now),
            // Lateness is measured to when the replaced disclosure was first recorded.
            Body::Correction(c) => match &c.replacement {
                Some(d) => (
                    d,
                    self.fact(c.supersedes)
                        .ok()
                        .flatten()
                        .and_then(|f| f.disclosure)
                        .map_or(now, |o| o.recorded_at),
                ),
                None => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        // A body without vault items is judged without values (a node judging an entry whose
        // values stayed with the party that submitted it), as `verify` judges a copy.
        let values: Vec<(String, String)> = pending
            .vault
            .iter()
            .filter(|(_, v)| v.len() >= 32)
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(&v[32..]).into_owned()))
            .collect();
        let values = (!pending.vault.is_empty()).then_some(&values);
        self.policies
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .judge(
                seq,
                recorded_at,
                FORMAT_VERSION,
                d,
                &self.reg,
                values.map(|v| &v[..]),
            )
    }

    /// Builds a refusal to disclose (statement §4: a case-by-case assessment that decided not
    /// to share) by `key`'s party to `to`. Companies are named by their ids in the register.
    #[allow(clippy::too_many_arguments)]
    pub fn prepare_refusal(
        &self,
        key: &SecretKey,
        to: PartyId,
        decided_at: Timestamp,
        companies: &[CompanyId],
        themes: Vec<ThemeId>,
        assessment: Assessment,
        reasoning: &str,
        officer_role: &str,
    ) -> Result<Pending, AppendError> {
        let from = self.party_of(key)?;
        if to == from {
            return Err(AppendError::SameParty(from));
        }
        let companies = companies
            .iter()
            .map(|id| self.resolve_company(id, None))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Body::Refusal(Refusal {
            from,
            to,
            decided_at,
            companies,
            themes,
            assessment,
            reasoning: reasoning.trim().to_owned(),
            officer_role: officer_role.trim().to_owned(),
        })
        .into())
    }

    /// Builds an acknowledgement of disclosure `seq` by its recipient.
    pub fn prepare_ack(
        &self,
        seq: Seq,
        received_at: Timestamp,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        let fact = self.fact(seq)?;
        let d = match fact.as_ref().and_then(|f| f.disclosure.as_ref()) {
            Some(d) => d,
            None => return Err(bad_reference(seq, fact.as_ref(), "a disclosure")),
        };
        // A key of another party is "not the recipient"; a rotated, revoked or unknown key
        // (another ledger's, say) is said as what it is.
        self.check_key(&d.to, key).map_err(|e| match e {
            AppendError::WrongKey {
                holder: Some(_), ..
            } => AppendError::NotRecipient {
                seq,
                recipient: d.to.clone(),
            },
            other => other,
        })?;
        if let Some((ack, _)) = d.acknowledged {
            return Err(AppendError::AlreadyAcknowledged { seq, by: ack });
        }
        if received_at > now.plus_seconds(FUTURE_TOLERANCE_SECS) {
            return Err(AppendError::FutureDate {
                field: "received_at",
                value: received_at,
                now,
            });
        }
        if received_at < d.disclosed_at {
            return Err(AppendError::ReceivedBeforeDisclosure {
                seq,
                received_at,
                disclosed_at: d.disclosed_at,
            });
        }
        Ok(Body::Acknowledgement(Acknowledgement {
            disclosure: seq,
            received_at,
        })
        .into())
    }

    /// Builds a correction of entry `seq`, optionally with a replacement disclosure.
    pub fn prepare_correction(
        &self,
        seq: Seq,
        reason: &str,
        replacement: Option<&DisclosureInput>,
        key: &SecretKey,
        now: Timestamp,
        salt: &mut dyn FnMut() -> [u8; 32],
    ) -> Result<Pending, AppendError> {
        let fact = self.fact(seq)?;
        let Some(target) = fact.as_ref() else {
            return Err(bad_reference(seq, None, "an entry"));
        };
        if target.kind == EntryKind::Genesis {
            return Err(bad_reference(seq, fact.as_ref(), "a correctable entry"));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(InputError::Empty("reason").into());
        }
        let (replacement, vault) = match replacement {
            Some(input) => {
                if target.kind != EntryKind::Disclosure {
                    return Err(bad_reference(
                        seq,
                        fact.as_ref(),
                        "a disclosure (only disclosures take a replacement)",
                    ));
                }
                let parsed = input.parse()?;
                if let Some(old) = &target.disclosure
                    && (old.from != parsed.from || old.to != parsed.to)
                {
                    return Err(AppendError::CorrectionChangesParties {
                        old_from: old.from.clone(),
                        old_to: old.to.clone(),
                        new_from: parsed.from.clone(),
                        new_to: parsed.to.clone(),
                    });
                }
                let (d, v) = self.resolve_disclosure(&parsed, key, now, salt)?;
                (Some(d), v)
            }
            None => (None, Vec::new()),
        };
        Ok(Pending {
            body: Body::Correction(Correction {
                supersedes: seq,
                reason: reason.to_owned(),
                replacement,
            }),
            vault,
        })
    }

    /// Builds a theme declaration.
    pub fn prepare_theme_declared(
        &self,
        id: ThemeId,
        title: &str,
        description: &str,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        if self.reg.theme_in_force(&id, now) {
            return Err(AppendError::ThemeInForce(id));
        }
        self.no_open_theme_proposal(&id)?;
        if title.trim().is_empty() {
            return Err(InputError::Empty("title").into());
        }
        Ok(Body::ThemeDeclared(ThemeDeclared {
            id,
            title: title.trim().to_owned(),
            description: description.trim().to_owned(),
        })
        .into())
    }

    /// Builds a theme retirement.
    pub fn prepare_theme_retired(
        &self,
        id: ThemeId,
        reason: &str,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        if !self.reg.theme_in_force(&id, now) {
            return Err(AppendError::ThemeNotInForce(id));
        }
        self.no_open_theme_proposal(&id)?;
        Ok(Body::ThemeRetired(ThemeRetired {
            id,
            reason: reason.trim().to_owned(),
        })
        .into())
    }

    /// Refuses a theme proposal while another about the same theme waits for confirmation.
    fn no_open_theme_proposal(&self, id: &ThemeId) -> Result<(), AppendError> {
        match self.reg.pending_for_theme(id) {
            Some((seq, p)) => Err(AppendError::Rule {
                kind: crate::integrity::IntegrityKind::DanglingReference,
                message: format!(
                    "{seq} (proposal to {}) is still waiting for {}; confirm or end it first",
                    p.act.describe(),
                    p.waiting_names()
                ),
            }),
            None => Ok(()),
        }
    }

    /// The other party of `by`'s pair: `with` if given, else the ledger's only other party.
    fn pair_with(&self, by: &PartyId, with: Option<PartyId>) -> Result<PartyId, AppendError> {
        let others: Vec<&PartyId> = self.reg.parties.keys().filter(|p| *p != by).collect();
        match with {
            Some(w) if w == *by => Err(AppendError::SameParty(w)),
            Some(w) if !self.reg.parties.contains_key(&w) => Err(self.unknown_party(&w)),
            Some(w) => Ok(w),
            None if others.len() == 1 => Ok(others[0].clone()),
            None => Err(AppendError::PairNeeded {
                others: others
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Builds a proposal by `by` that `id` is of mutual interest to it and `with`.
    pub fn prepare_company_proposed(
        &self,
        id: CompanyId,
        name: Option<&str>,
        rationale: &str,
        by: &PartyId,
        with: Option<PartyId>,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        let company = self.resolve_company(&id, name)?;
        let with = self.pair_with(by, with)?;
        if self.reg.is_mutual(&id, by, &with, now) {
            return Err(AppendError::AlreadyMutual(id));
        }
        if self.reg.proposal_open(&id, by, &with) {
            return Err(AppendError::ProposalOpen(id));
        }
        Ok(Body::DesignationProposed(DesignationProposed {
            company,
            rationale: rationale.trim().to_owned(),
            with: Some(with),
        })
        .into())
    }

    /// Builds `by`'s confirmation of the open proposal for `id` that names it as the other
    /// party of the pair, in force from `effective_from` (default `now`).
    pub fn prepare_company_confirmed(
        &self,
        id: CompanyId,
        by: &PartyId,
        effective_from: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        let proposals = self.reg.companies.get(&id).map(|c| &c.proposals[..]);
        let open: Vec<_> = proposals
            .unwrap_or_default()
            .iter()
            .filter(|p| p.open && p.with.is_some())
            .collect();
        let Some(proposal) = open.iter().rev().find(|p| p.with.as_ref() == Some(by)) else {
            return match open.first() {
                Some(p) => Err(self.not_bound(p.seq, by)),
                None => Err(AppendError::NoOpenProposal(id)),
            };
        };
        self.prepare_confirmation(proposal.seq, by, effective_from, now)
    }

    fn not_bound(&self, seq: Seq, by: &PartyId) -> AppendError {
        match self.reg.pending.get(&seq) {
            Some(p) => AppendError::NotBoundByProposal {
                seq,
                act: p.act.describe(),
                party: by.clone(),
                bound: p.waiting_names(),
            },
            None => AppendError::NotAProposal { seq },
        }
    }

    /// Builds `by`'s confirmation of proposal `seq` (a designation, theme or policy act),
    /// effective from `effective_from` (default: the date the first confirmation stated, a
    /// policy's own effective date, or `now`).
    pub fn prepare_confirmation(
        &self,
        seq: Seq,
        by: &PartyId,
        effective_from: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        let Some(p) = self.reg.pending.get(&seq) else {
            return Err(AppendError::NotAProposal { seq });
        };
        if &p.by == by || !p.bound.contains(by) || p.confirmed.contains(by) {
            return Err(self.not_bound(seq, by));
        }
        let agreed = match (&p.act, p.effective_from) {
            (_, Some(first)) => Some(first),
            (Act::AdoptPolicy(doc), None) => Some(doc.effective_from),
            _ => None,
        };
        let effective_from = match (effective_from, agreed) {
            (Some(given), Some(agreed)) if given != agreed => {
                return Err(AppendError::Rule {
                    kind: crate::integrity::IntegrityKind::BadRecord,
                    message: format!(
                        "{seq} is agreed as effective from {agreed}; confirm it with that date \
                         (or leave --effective out)"
                    ),
                });
            }
            (Some(given), _) => given,
            (None, Some(agreed)) => agreed,
            (None, None) => now,
        };
        Ok(Body::Confirmed(Confirmed {
            proposal: seq,
            effective_from,
        })
        .into())
    }

    /// Builds the end, by `by`, of the designation of `id` for its pair with `with`.
    pub fn prepare_company_ended(
        &self,
        id: CompanyId,
        reason: &str,
        by: &PartyId,
        with: Option<PartyId>,
        now: Timestamp,
    ) -> Result<Pending, AppendError> {
        let with = self.pair_with(by, with)?;
        if !self.reg.is_mutual(&id, by, &with, now) && !self.reg.proposal_open(&id, by, &with) {
            return Err(AppendError::NothingToEnd(id));
        }
        Ok(Body::DesignationEnded(DesignationEnded {
            company: id,
            reason: reason.trim().to_owned(),
            with: Some(with),
        })
        .into())
    }

    /// Builds a key addition for the signer's own party.
    pub fn prepare_key_added(&self, party: PartyId, key: &PublicKey) -> Pending {
        Body::KeyAdded(KeyAdded {
            party,
            key: key.record(),
        })
        .into()
    }

    /// Builds a key rotation for the signer's own party.
    pub fn prepare_key_rotated(&self, party: PartyId, old: KeyId, new: &PublicKey) -> Pending {
        Body::KeyRotated(KeyRotated {
            party,
            old,
            new: new.record(),
        })
        .into()
    }

    /// Builds a key revocation for the signer's own party.
    pub fn prepare_key_revoked(&self, party: PartyId, key_id: KeyId, reason: &str) -> Pending {
        Body::KeyRevoked(KeyRevoked {
            party,
            key_id,
            reason: reason.trim().to_owned(),
        })
        .into()
    }
}
