//! Policy documents: the agreed rules as data (TOML, schema in docs/POLICY.md), parsed and
//! checked so that a policy that would be misread is refused before it is adopted.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{CategoryKind, Citation, FieldName, PartyId};

use super::flags::{Basis, CATALOGUE, FlagCode, Severity};

/// The newest policy schema version this build reads (it reads every older one too).
pub const POLICY_SCHEMA: u32 = 2;

/// Why a policy document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Not valid TOML, or fields of the wrong type, missing or unknown.
    #[error("the policy document does not follow the schema in docs/POLICY.md: {0}")]
    Syntax(String),
    /// A newer schema.
    #[error(
        "policy schema {0} is not supported (this build reads schemas 1 to {POLICY_SCHEMA}); upgrade dledger"
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
    #[serde(default)]
    functions: Vec<RawFunction>,
    #[serde(default)]
    routine: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    id: String,
    title: String,
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
    #[serde(default)]
    retain_values_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPractice {
    #[serde(default)]
    severity: BTreeMap<String, String>,
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
    #[serde(default)]
    practice: Option<RawPractice>,
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
    /// The functions it discloses to carry out (statement §4), e.g. Ofcom's online safety
    /// functions; empty under policy schema 1, which did not list them.
    pub functions: Vec<Function>,
    /// Whether it takes part in the statement's routine sharing (§5); a party of neither
    /// statement (e.g. the CMA) is case by case only. Always true under policy schema 1.
    pub routine: bool,
}

/// One of a party's functions, as a disclosure names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Function {
    /// Its id, as a disclosure records it, e.g. `online-safety`.
    pub id: String,
    /// What it is, e.g. "Online safety functions under the Online Safety Act 2023".
    pub title: String,
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
    /// Days after the disclosure that its field values are kept in the vault before `vault
    /// erase --by-policy` erases them; `None` keeps them until erased by date.
    pub retain_values_days: Option<u32>,
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
    /// The schema the document was written in.
    pub schema: u32,
    /// Severities the regulators set for local-practice flags, where not the default.
    pub practice_severity: BTreeMap<FlagCode, Severity>,
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
        if raw.schema == 0 || raw.schema > POLICY_SCHEMA {
            return Err(PolicyError::Schema(raw.schema));
        }
        if raw.schema < 2 {
            let newer = raw.practice.is_some()
                || raw
                    .parties
                    .iter()
                    .any(|p| !p.functions.is_empty() || p.routine.is_some())
                || raw
                    .categories
                    .iter()
                    .any(|c| c.retain_values_days.is_some());
            if newer {
                return Err(PolicyError::Invalid(
                    "practice, functions, routine and retain_values_days need schema = 2".into(),
                ));
            }
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
            let mut functions: Vec<Function> = Vec::with_capacity(p.functions.len());
            for f in p.functions {
                let fid = f.id.trim();
                if fid.is_empty() || f.title.trim().is_empty() {
                    return Err(PolicyError::Invalid(format!(
                        "party {id}: a function needs an id and a title"
                    )));
                }
                if functions.iter().any(|g| g.id == fid) {
                    return Err(PolicyError::Invalid(format!(
                        "party {id}: function {fid} is listed twice"
                    )));
                }
                functions.push(Function {
                    id: fid.to_owned(),
                    title: f.title.trim().to_owned(),
                });
            }
            let rule = PartyRule {
                id: id.clone(),
                name: p.name,
                statute,
                gateways,
                consent: p.consent,
                relevance: p.relevance.filter(|r| !r.trim().is_empty()),
                functions,
                routine: p.routine.unwrap_or(true),
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
                retain_values_days: c.retain_values_days,
            };
            if c.retain_values_days == Some(0) {
                return Err(PolicyError::Invalid(format!(
                    "category {kind}: retain_values_days must be at least one day"
                )));
            }
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
        let practice_severity = practice_severities(raw.practice.unwrap_or_default())?;
        Ok(Policy {
            label: raw.label,
            title: raw.title,
            thresholds: raw.thresholds,
            parties,
            categories,
            schema: raw.schema,
            practice_severity,
        })
    }

    /// The severity of flag `code` under this policy: the regulators' own for a
    /// local-practice flag where the policy sets one, else the catalogue's.
    pub fn severity(&self, code: FlagCode) -> Severity {
        self.practice_severity
            .get(&code)
            .copied()
            .unwrap_or(code.info().severity)
    }

    /// The party whose functions include `function`, if any.
    pub fn function_owner(&self, function: &str) -> Option<&PartyRule> {
        self.parties
            .values()
            .find(|p| p.functions.iter().any(|f| f.id == function))
    }

    /// The rule for a category.
    pub fn category(&self, kind: CategoryKind) -> &CategoryRule {
        self.categories
            .get(&kind)
            .expect("parse() guarantees every category has a rule")
    }
}

/// The severities a policy's `[practice]` table sets: only local-practice flags may be given
/// one (the statement's rules are not the regulators' to weigh).
fn practice_severities(raw: RawPractice) -> Result<BTreeMap<FlagCode, Severity>, PolicyError> {
    let mut out = BTreeMap::new();
    for (code, severity) in raw.severity {
        let flag = FlagCode::from_code(&code).ok_or_else(|| {
            PolicyError::Invalid(format!("practice.severity: {code:?} is not a flag code"))
        })?;
        if !matches!(flag.info().basis, Basis::LocalPractice(_)) {
            let local: Vec<&str> = CATALOGUE
                .iter()
                .filter(|i| matches!(i.basis, Basis::LocalPractice(_)))
                .map(|i| i.code.code())
                .collect();
            return Err(PolicyError::Invalid(format!(
                "practice.severity: {code} is not local practice (it rests on {}); only these can be set: {}",
                flag.info().sections,
                local.join(", ")
            )));
        }
        let severity = Severity::parse(&severity).ok_or_else(|| {
            PolicyError::Invalid(format!(
                "practice.severity.{code}: {severity:?} is not one of high, review, info"
            ))
        })?;
        out.insert(flag, severity);
    }
    Ok(out)
}
