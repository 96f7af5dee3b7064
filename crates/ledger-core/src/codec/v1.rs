//! Entry format 1 on the wire (docs/FORMAT.md, section 15): the types whose layout format 2
//! changed, and their conversion to and from the one in-memory model. Everything else (keys,
//! policies, themes, acknowledgements, categories, field commitments) has the same bytes in
//! both versions and is shared.

use serde::{Deserialize, Serialize};

use crate::model::{
    Acknowledgement, Body, Category, CompanyId, CompanyRef, Correction, DesignationConfirmed,
    DesignationEnded, DesignationProposed, Disclosure, Entry, EntryHash, FieldCommitment, Gateway,
    Genesis, KeyAdded, KeyRevoked, KeyRotated, LegalBasis, Notification, PartyId, PolicyDocument,
    Relevance, Seq, Signer, ThemeDeclared, ThemeRetired, Timestamp,
};

/// A format 1 entry: the envelope is the same as format 2's; the body is [`BodyV1`].
#[derive(Serialize, Deserialize)]
pub(super) struct EntryV1 {
    version: u16,
    seq: Seq,
    prev: EntryHash,
    recorded_at: Timestamp,
    signer: Signer,
    body: BodyV1,
}

/// The 13 bodies of format 1, in their wire order.
#[derive(Serialize, Deserialize)]
enum BodyV1 {
    Genesis(Genesis),
    KeyAdded(KeyAdded),
    KeyRotated(KeyRotated),
    KeyRevoked(KeyRevoked),
    PolicyAdopted(PolicyDocument),
    ThemeDeclared(ThemeDeclared),
    ThemeRetired(ThemeRetired),
    DesignationProposed(DesignationProposedV1),
    DesignationConfirmed(DesignationConfirmed),
    DesignationEnded(DesignationEndedV1),
    Disclosure(DisclosureV1),
    Acknowledgement(Acknowledgement),
    Correction(CorrectionV1),
}

#[derive(Serialize, Deserialize)]
struct DesignationProposedV1 {
    company: CompanyRef,
    rationale: String,
}

#[derive(Serialize, Deserialize)]
struct DesignationEndedV1 {
    company: CompanyId,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct DisclosureV1 {
    from: PartyId,
    to: PartyId,
    disclosed_at: Timestamp,
    gateway: Gateway,
    category: Category,
    fields: Vec<FieldCommitment>,
    notification: Notification,
    relevance: Option<String>,
    officer_role: String,
}

#[derive(Serialize, Deserialize)]
struct CorrectionV1 {
    supersedes: Seq,
    reason: String,
    replacement: Option<DisclosureV1>,
}

/// Why a model entry cannot be written as format 1: it uses something format 1 does not have.
pub(super) type NotInV1 = &'static str;

impl EntryV1 {
    /// The entry in the one model, or what format 1 does not allow (a gateway "not engaged",
    /// which format 1's `Gateway` has no variant for).
    pub(super) fn into_model(self) -> Result<Entry, NotInV1> {
        let body = match self.body {
            BodyV1::Genesis(g) => Body::Genesis(g),
            BodyV1::KeyAdded(k) => Body::KeyAdded(k),
            BodyV1::KeyRotated(k) => Body::KeyRotated(k),
            BodyV1::KeyRevoked(k) => Body::KeyRevoked(k),
            BodyV1::PolicyAdopted(p) => Body::PolicyAdopted(p),
            BodyV1::ThemeDeclared(t) => Body::ThemeDeclared(t),
            BodyV1::ThemeRetired(t) => Body::ThemeRetired(t),
            BodyV1::DesignationProposed(d) => Body::DesignationProposed(DesignationProposed {
                company: d.company,
                rationale: d.rationale,
                with: None,
            }),
            BodyV1::DesignationConfirmed(d) => Body::DesignationConfirmed(d),
            BodyV1::DesignationEnded(d) => Body::DesignationEnded(DesignationEnded {
                company: d.company,
                reason: d.reason,
                with: None,
            }),
            BodyV1::Disclosure(d) => Body::Disclosure(d.into_model()?),
            BodyV1::Acknowledgement(a) => Body::Acknowledgement(a),
            BodyV1::Correction(c) => Body::Correction(Correction {
                supersedes: c.supersedes,
                reason: c.reason,
                replacement: c.replacement.map(DisclosureV1::into_model).transpose()?,
            }),
        };
        Ok(Entry {
            version: self.version,
            seq: self.seq,
            prev: self.prev,
            recorded_at: self.recorded_at,
            signer: self.signer,
            body,
        })
    }

    /// The format 1 form of a model entry, or what it holds that format 1 cannot.
    pub(super) fn from_model(e: &Entry) -> Result<EntryV1, NotInV1> {
        let body = match &e.body {
            Body::Genesis(g) => BodyV1::Genesis(g.clone()),
            Body::KeyAdded(k) => BodyV1::KeyAdded(k.clone()),
            Body::KeyRotated(k) => BodyV1::KeyRotated(k.clone()),
            Body::KeyRevoked(k) => BodyV1::KeyRevoked(k.clone()),
            Body::PolicyAdopted(p) => BodyV1::PolicyAdopted(p.clone()),
            Body::ThemeDeclared(t) => BodyV1::ThemeDeclared(t.clone()),
            Body::ThemeRetired(t) => BodyV1::ThemeRetired(t.clone()),
            Body::DesignationProposed(d) => {
                if d.with.is_some() {
                    return Err("a designation scoped to a pair of parties");
                }
                BodyV1::DesignationProposed(DesignationProposedV1 {
                    company: d.company.clone(),
                    rationale: d.rationale.clone(),
                })
            }
            Body::DesignationConfirmed(d) => BodyV1::DesignationConfirmed(d.clone()),
            Body::DesignationEnded(d) => {
                if d.with.is_some() {
                    return Err("a designation scoped to a pair of parties");
                }
                BodyV1::DesignationEnded(DesignationEndedV1 {
                    company: d.company.clone(),
                    reason: d.reason.clone(),
                })
            }
            Body::Disclosure(d) => BodyV1::Disclosure(DisclosureV1::from_model(d)?),
            Body::Acknowledgement(a) => BodyV1::Acknowledgement(a.clone()),
            Body::Correction(c) => BodyV1::Correction(CorrectionV1 {
                supersedes: c.supersedes,
                reason: c.reason.clone(),
                replacement: c
                    .replacement
                    .as_ref()
                    .map(DisclosureV1::from_model)
                    .transpose()?,
            }),
            Body::Confirmed(_) => return Err("a confirmed entry"),
            Body::Disposition(_) => return Err("a disposition entry"),
            Body::Erasure(_) => return Err("an erasure entry"),
            Body::Refusal(_) => return Err("a refusal entry"),
        };
        Ok(EntryV1 {
            version: e.version,
            seq: e.seq,
            prev: e.prev,
            recorded_at: e.recorded_at,
            signer: e.signer.clone(),
            body,
        })
    }
}

impl DisclosureV1 {
    fn into_model(self) -> Result<Disclosure, NotInV1> {
        if matches!(self.gateway, Gateway::NotEngaged { .. }) {
            return Err("gateway variant 3 (not engaged)");
        }
        Ok(Disclosure {
            from: self.from,
            to: self.to,
            disclosed_at: self.disclosed_at,
            gateway: self.gateway,
            category: self.category,
            fields: self.fields,
            notification: self.notification,
            relevance: self.relevance.map(Relevance::Statement),
            officer_role: self.officer_role,
            basis: LegalBasis::default(),
            decision: None,
            joint_engagement: None,
        })
    }

    fn from_model(d: &Disclosure) -> Result<DisclosureV1, NotInV1> {
        if matches!(d.gateway, Gateway::NotEngaged { .. }) {
            return Err("a gateway \"not engaged\"");
        }
        if !d.basis.is_empty() || d.decision.is_some() || d.joint_engagement.is_some() {
            return Err("a legal basis, case decision or joint engagement");
        }
        let relevance = match &d.relevance {
            None => None,
            Some(Relevance::Statement(s)) => Some(s.clone()),
            Some(Relevance::Limb { .. }) => return Err("a relevance limb"),
        };
        Ok(DisclosureV1 {
            from: d.from.clone(),
            to: d.to.clone(),
            disclosed_at: d.disclosed_at,
            gateway: d.gateway.clone(),
            category: d.category.clone(),
            fields: d.fields.clone(),
            notification: d.notification.clone(),
            relevance,
            officer_role: d.officer_role.clone(),
        })
    }
}
