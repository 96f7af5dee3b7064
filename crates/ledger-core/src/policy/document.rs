//! Policy documents: the agreed rules as data (TOML, schema in docs/POLICY.md), parsed and
//! checked so that a policy that would be misread is refused before it is adopted.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{CategoryKind, Citation, FieldName, PartyId};

/// The policy schema version this build reads.
pub const POLICY_SCHEMA: u32 = 1;

/// Why a policy document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Not valid TOML, or fields of the wrong type, missing or unknown.
    #[error("the policy document does not follow the schema in docs/POLICY.md: {0}")]
    Syntax(String),
    /// A newer schema.
    #[error(
        "policy schema {0} is not supported (this build reads schema {POLICY_SCHEMA}); upgrade dledger"
    )]
    Schema(u32),
    /// A value that parses but makes no sense.
    #[error("the policy document is inconsistent: {0}")]
    Invalid(String),
}

/// Thresholds, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Days allowed between disclosure and recording.
    pub record_within_days: u32,
    /// Days allowed between recording and the recipient's acknowledgement.
    pub acknowledge_within_days: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParty {
    id: String,
    name: String,
    statute: String,
    gateways: Vec<String>,
    #[serde(default)]
    consent: bool,
    #[serde(default)]
    relevance: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    kind: String,
    routine: bool,
    section: String,
    #[serde(default)]
    requires_mutual_interest: bool,
    #[serde(default)]
    requires_relevance: bool,
    #[serde(default)]
    requires_source: bool,
    #[serde(default)]
    requires_theme: bool,
    #[serde(default)]
    requires_assessment: bool,
    #[serde(default)]
    allowed_fields: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    schema: u32,
    label: String,
    title: String,
    thresholds: Thresholds,
    #[serde(rename = "party")]
    parties: Vec<RawParty>,
    #[serde(rename = "category")]
    categories: Vec<RawCategory>,
}

/// What a party may rely on and must state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyRule {
    /// The party.
    pub id: PartyId,
    /// Its name.
    pub name: String,
    /// Its own statute's section, e.g. Communications Act 2003 s393.
    pub statute: Citation,
    /// Gateways it may cite (a citation within one of these is accepted).
    pub gateways: Vec<Citation>,
    /// Whether it may disclose with consent.
    pub consent: bool,
    /// The relevance statement its limb of §5 requires, if any.
    pub relevance: Option<String>,
}

/// What a category allows and requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryRule {
    /// The category.
    pub kind: CategoryKind,
    /// Routine (shared without case-by-case assessment).
    pub routine: bool,
    /// Statement section.
    pub section: String,
    /// Companies must be of mutual interest.
    pub requires_mutual_interest: bool,
    /// The discloser's relevance statement is required.
    pub requires_relevance: bool,
    /// A public source reference is required.
    pub requires_source: bool,
    /// At least one theme is required.
    pub requires_theme: bool,
    /// A case-by-case assessment is required.
    pub requires_assessment: bool,
    /// Fields that may be shared; `None` means any (judged case by case).
    pub allowed_fields: Option<BTreeSet<FieldName>>,
}

/// A parsed, checked policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Label.
    pub label: String,
    /// Title.
    pub title: String,
    /// Thresholds.
    pub thresholds: Thresholds,
    /// Parties by id.
    pub parties: BTreeMap<PartyId, PartyRule>,
    /// Categories by kind (every kind present).
    pub categories: BTreeMap<CategoryKind, CategoryRule>,
}

fn citation(what: &str, text: &str) -> Result<Citation, PolicyError> {
    text.parse()
        .map_err(|e| PolicyError::Invalid(format!("{what}: {e}")))
}

impl Policy {
    /// Parses and checks a policy document.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy =
            toml::from_str(text).map_err(|e| PolicyError::Syntax(e.to_string()))?;
        if raw.schema != POLICY_SCHEMA {
            return Err(PolicyError::Schema(raw.schema));
        }
        if raw.thresholds.record_within_days == 0 || raw.thresholds.acknowledge_within_days == 0 {
            return Err(PolicyError::Invalid(
                "thresholds must be at least one day".into(),
            ));
        }
        let mut parties = BTreeMap::new();
        for p in raw.parties {
            let id = PartyId::new(&p.id).map_err(|e| PolicyError::Invalid(e.to_string()))?;
            let statute = citation(&format!("party {id} statute"), &p.statute)?;
            let gateways = p
                .gateways
                .iter()
                .map(|g| citation(&format!("party {id} gateway"), g))
                .collect::<Result<Vec<_>, _>>()?;
            if gateways.is_empty() && !p.consent {
                return Err(PolicyError::Invalid(format!(
                    "party {id} has no gateway to rely on"
                )));
            }
            if let Some(g) = gateways.iter().find(|g| !g.is_within(&statute)) {
                return Err(PolicyError::Invalid(format!(
                    "party {id}: gateway {g} is not within its statute {statute}"
                )));
            }
            let rule = PartyRule {
                id: id.clone(),
                name: p.name,
                statute,
                gateways,
                consent: p.consent,
                relevance: p.relevance.filter(|r| !r.trim().is_empty()),
            };
            if parties.insert(id.clone(), rule).is_some() {
                return Err(PolicyError::Invalid(format!("party {id} is listed twice")));
            }
        }
        if parties.len() < 2 {
            return Err(PolicyError::Invalid(
                "a policy names at least two parties".into(),
            ));
        }
        let mut categories = BTreeMap::new();
        for c in raw.categories {
            let kind = CategoryKind::parse(&c.kind).ok_or_else(|| {
                PolicyError::Invalid(format!(
                    "category kind {:?} is not one of {}",
                    c.kind,
                    CategoryKind::ALL.map(|k| k.as_str()).join(", ")
                ))
            })?;
            let allowed_fields = match c.allowed_fields {
                None => None,
                Some(names) => Some(
                    names
                        .iter()
                        .map(|n| FieldName::new(n.as_str()))
                        .collect::<Result<BTreeSet<_>, _>>()
                        .map_err(|e| PolicyError::Invalid(format!("category {kind}: {e}")))?,
                ),
            };
            let rule = CategoryRule {
                kind,
                routine: c.routine,
                section: c.section,
                requires_mutual_interest: c.requires_mutual_interest,
                requires_relevance: c.requires_relevance,
                requires_source: c.requires_source,
                requires_theme: c.requires_theme,
                requires_assessment: c.requires_assessment,
                allowed_fields,
            };
            if categories.insert(kind, rule).is_some() {
                return Err(PolicyError::Invalid(format!(
                    "category {kind} is listed twice"
                )));
            }
        }
        if let Some(missing) = CategoryKind::ALL
            .iter()
            .find(|k| !categories.contains_key(k))
        {
            return Err(PolicyError::Invalid(format!(
                "category {missing} is missing; every category must have a rule"
            )));
        }
        Ok(Policy {
            label: raw.label,
            title: raw.title,
            thresholds: raw.thresholds,
            parties,
            categories,
        })
    }

    /// The rule for a category.
    pub fn category(&self, kind: CategoryKind) -> &CategoryRule {
        self.categories
            .get(&kind)
            .expect("parse() guarantees every category has a rule")
    }
}
