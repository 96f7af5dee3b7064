//! Disclosure input as a recording officer gives it (JSON file or command-line flags), and its
//! conversion into a validated [`Disclosure`] plus the vault items holding field values.
//!
//! Everything a person can get wrong is caught here or in `ledger`, with a message that says
//! what is wrong and how to fix it, before anything is written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::hash::field_commitment;
use crate::model::VaultItem;
use crate::model::{
    Assessment, CaseDecision, Category, CategoryKind, CompanyId, CompanyRef, Disclosure,
    FieldCommitment, FieldName, Gateway, GatewayParseError, IdError, LegalBasis, Notification,
    Outcome, PartyId, Relevance, ThemeId, TimeError, Timestamp,
};

/// A disclosure as entered by a recording officer. The JSON form uses exactly these field
/// names; unknown fields are refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DisclosureInput {
    /// Disclosing party id, e.g. `OFCOM`.
    pub from: String,
    /// Receiving party id, e.g. `ICO`.
    pub to: String,
    /// When it was disclosed: `2024-03-03` or `2024-03-03T14:30:00Z`.
    pub disclosed_at: String,
    /// Gateway citation, e.g. `Communications Act 2003 s393(2)(a)`, `consent: REF`, `other: TEXT`.
    pub gateway: Option<String>,
    /// Category: information-request, stakeholder-meeting, public-information, theme-only,
    /// theme-and-company, case-by-case.
    pub category: String,
    /// For information requests: whether it was a formal Information Notice.
    #[serde(default)]
    pub information_notice: bool,
    /// Companies: a known company id, or `id=Name` to introduce a company new to the ledger.
    #[serde(default)]
    pub companies: Vec<String>,
    /// Collaboration Theme ids.
    #[serde(default)]
    pub themes: Vec<String>,
    /// Fields shared, by name, with their values (values go to the vault, not the log).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// `notified`, or `skipped: <reason>`.
    pub notification: String,
    /// The discloser's limb of §5 relied on: `limb`, or the limb's words as the policy states
    /// them (recorded as a structured choice, never as free text).
    #[serde(default)]
    pub relevance: Option<String>,
    /// For public information: where it was published.
    #[serde(default)]
    pub public_source: Option<String>,
    /// For case-by-case: the assessment reference.
    #[serde(default)]
    pub assessment_reference: Option<String>,
    /// For case-by-case: the role of whoever approved the assessment.
    #[serde(default)]
    pub assessment_approver: Option<String>,
    /// The recording officer's role (no personal data).
    pub officer_role: String,
    /// The discloser's function the disclosure serves, by its id in the policy.
    #[serde(default)]
    pub function: Option<String>,
    /// Why the disclosure is necessary for that function.
    #[serde(default)]
    pub necessity: Option<String>,
    /// The power the shared information was obtained under.
    #[serde(default)]
    pub power: Option<String>,
    /// The statement or memorandum relied on, e.g. `ico-ofcom-2024`.
    #[serde(default)]
    pub agreement: Option<String>,
    /// For case-by-case: `disclose` or `disclose-in-part`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// For case-by-case: a summary of the assessment's reasoning (with `outcome`).
    #[serde(default)]
    pub reasoning: Option<String>,
    /// Joint engagement that followed or accompanied the disclosure (statement §6).
    #[serde(default)]
    pub joint_engagement: Option<String>,
}

/// The most fields one disclosure may share (docs/FORMAT.md, "Size limits").
pub const MAX_FIELDS: usize = 32;

/// The largest field value, in bytes of UTF-8 (docs/FORMAT.md, "Size limits"). Chosen so that
/// every recorded field can later be opened in an evidence bundle that the verifier accepts:
/// [`MAX_FIELDS`] values of this size, each escaped at worst six bytes per byte (`\u{1f}`),
/// take 768 KiB of the bundle's `summary.txt`, under the verifier's 1 MiB limit on a text
/// file with room for the rest of the summary, and far under its 16 MiB limit on
/// `openings.json`.
pub const MAX_FIELD_VALUE_BYTES: usize = 4096;

/// What is wrong with a disclosure input, before the ledger is consulted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The JSON does not have the expected shape.
    #[error(
        "the disclosure JSON is not in the expected form: {0}. Required fields: from, to, \
         disclosed_at, gateway, category, notification, officer_role; optional: \
         information_notice, companies, themes, fields, relevance, public_source, \
         assessment_reference, assessment_approver, function, necessity, power, agreement, \
         outcome, reasoning, joint_engagement (docs/FORMAT.md, \"Disclosure input JSON\")"
    )]
    Json(String),
    /// An identifier is malformed.
    #[error("{0}")]
    Id(#[from] IdError),
    /// A date is malformed or impossible.
    #[error("{field}: {source}")]
    Time {
        /// Which input field.
        field: &'static str,
        /// The parse failure.
        source: TimeError,
    },
    /// No gateway was given.
    #[error(
        "no gateway given: every disclosure must cite the gateway it relies on, e.g. \
         \"Communications Act 2003 s393(2)(a)\" for Ofcom or \
         \"Data Protection Act 2018 s132(2)(c)\" for the ICO"
    )]
    MissingGateway,
    /// The gateway citation does not parse.
    #[error(transparent)]
    Gateway(#[from] GatewayParseError),
    /// Unknown category name.
    #[error(
        "category {0:?} is not one of information-request, stakeholder-meeting, \
         public-information, theme-only, theme-and-company, case-by-case"
    )]
    UnknownCategory(String),
    /// The category needs at least one company.
    #[error("a {0} disclosure must name at least one company")]
    NeedsCompany(CategoryKind),
    /// theme-and-company takes exactly one company.
    #[error(
        "a theme-and-company disclosure names exactly one company, but {0} were given; record \
         one disclosure per company"
    )]
    OneCompany(usize),
    /// theme-only cannot name a company.
    #[error(
        "a theme-only disclosure cannot name a company (2024 statement §5); use \
         theme-and-company, or case-by-case if the company is not of mutual interest"
    )]
    ThemeOnlyWithCompany,
    /// The category needs at least one theme.
    #[error("a {0} disclosure must name at least one Collaboration Theme")]
    NeedsTheme(CategoryKind),
    /// A field that belongs to another category was given.
    #[error("{field} only applies to {applies_to} disclosures, not {category}")]
    NotForCategory {
        /// The input field.
        field: &'static str,
        /// The categories it applies to.
        applies_to: &'static str,
        /// The category given.
        category: CategoryKind,
    },
    /// The notification value does not parse.
    #[error(
        "notification {0:?} is not understood: write \"notified\", \"skipped\" (a routine \
         disclosure, which statement §4 expects without notification), or \"skipped: <reason>\" \
         (e.g. \"skipped: would prejudice the investigation\")"
    )]
    Notification(String),
    /// A required text is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// The same company or theme is listed twice.
    #[error("{0} is listed twice")]
    Duplicate(String),
    /// More fields than [`MAX_FIELDS`].
    #[error("{count} fields given; a disclosure shares at most {MAX_FIELDS} fields")]
    TooManyFields {
        /// How many were given.
        count: usize,
    },
    /// A field value longer than [`MAX_FIELD_VALUE_BYTES`].
    #[error(
        "field {name} is {len} bytes long; a field value may be at most {MAX_FIELD_VALUE_BYTES} \
         bytes, so that it can always be opened in an evidence bundle"
    )]
    FieldTooLong {
        /// The field.
        name: FieldName,
        /// Its length in bytes.
        len: usize,
    },
    /// The case-by-case outcome is not one a disclosure can record.
    #[error(
        "outcome {0:?} is not understood: a case-by-case disclosure records \"disclose\" or \
         \"disclose-in-part\", with the reasoning summary"
    )]
    Outcome(String),
    /// A company given as `id=Name` with an empty name.
    #[error("company {0:?}: write a known id, or id=Name for a company new to the ledger")]
    CompanySyntax(String),
}

/// A company named in input: known by id, or new with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyInput {
    /// Its id.
    pub id: CompanyId,
    /// Its name, if introduced here.
    pub new_name: Option<String>,
}

/// A disclosure input that has been parsed but not yet checked against the ledger.
#[derive(Debug, Clone)]
pub struct ParsedDisclosure {
    /// Discloser.
    pub from: PartyId,
    /// Recipient.
    pub to: PartyId,
    /// When.
    pub disclosed_at: Timestamp,
    /// Gateway.
    pub gateway: Gateway,
    /// Category with everything but company names, which the ledger resolves.
    pub kind: CategoryKind,
    /// Information Notice flag.
    pub information_notice: bool,
    /// Companies named.
    pub companies: Vec<CompanyInput>,
    /// Themes named.
    pub themes: Vec<ThemeId>,
    /// Field values, by name.
    pub fields: BTreeMap<FieldName, String>,
    /// Notification.
    pub notification: Notification,
    /// The relevance limb as given (`limb` or the limb's words), resolved against the policy
    /// by the ledger.
    pub relevance: Option<String>,
    /// Legal basis beyond the gateway.
    pub basis: LegalBasis,
    /// Case-by-case outcome and reasoning.
    pub decision: Option<CaseDecision>,
    /// Joint engagement.
    pub joint_engagement: Option<String>,
    /// Public source.
    pub public_source: Option<String>,
    /// Assessment.
    pub assessment: Option<Assessment>,
    /// Officer role.
    pub officer_role: String,
}

fn non_empty(field: &'static str, value: Option<String>) -> Result<Option<String>, InputError> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if v.is_empty() => Err(InputError::Empty(field)),
        other => Ok(other),
    }
}

impl DisclosureInput {
    /// Reads the JSON form, refusing unknown and missing fields.
    pub fn from_json(text: &str) -> Result<DisclosureInput, InputError> {
        serde_json::from_str(text).map_err(|e| {
            // serde says "at line L column C"; a one-line object (a line of a bulk import,
            // numbered by the importer) is better told by its column alone.
            let full = e.to_string();
            let what = full
                .rsplit_once(" at line ")
                .map_or(full.as_str(), |(what, _)| what);
            let at = if e.line() == 0 {
                String::new()
            } else if text.trim_end().contains('\n') {
                format!(" (at line {} column {})", e.line(), e.column())
            } else {
                format!(" (at column {})", e.column())
            };
            InputError::Json(format!("{what}{at}"))
        })
    }

    /// Parses every value, without consulting the ledger.
    pub fn parse(&self) -> Result<ParsedDisclosure, InputError> {
        let from: PartyId = self.from.trim().parse()?;
        let to: PartyId = self.to.trim().parse()?;
        let disclosed_at =
            Timestamp::parse(&self.disclosed_at).map_err(|source| InputError::Time {
                field: "disclosed_at",
                source,
            })?;
        let gateway: Gateway = match self.gateway.as_deref().map(str::trim) {
            None | Some("") => return Err(InputError::MissingGateway),
            Some(g) => g.parse()?,
        };
        let kind = CategoryKind::parse(self.category.trim())
            .ok_or_else(|| InputError::UnknownCategory(self.category.clone()))?;
        let mut companies = Vec::new();
        for c in &self.companies {
            let parsed = match c.split_once('=') {
                Some((id, name)) if !name.trim().is_empty() => CompanyInput {
                    id: id.trim().parse()?,
                    new_name: Some(name.trim().to_owned()),
                },
                Some(_) => return Err(InputError::CompanySyntax(c.clone())),
                None => CompanyInput {
                    id: c.trim().parse()?,
                    new_name: None,
                },
            };
            if companies.iter().any(|x: &CompanyInput| x.id == parsed.id) {
                return Err(InputError::Duplicate(format!("company {}", parsed.id)));
            }
            companies.push(parsed);
        }
        let mut themes: Vec<ThemeId> = Vec::new();
        for t in &self.themes {
            let id: ThemeId = t.trim().parse()?;
            if themes.contains(&id) {
                return Err(InputError::Duplicate(format!("theme {id}")));
            }
            themes.push(id);
        }
        if self.fields.len() > MAX_FIELDS {
            return Err(InputError::TooManyFields {
                count: self.fields.len(),
            });
        }
        let mut fields = BTreeMap::new();
        for (name, value) in &self.fields {
            let name = name.trim().parse::<FieldName>()?;
            if value.len() > MAX_FIELD_VALUE_BYTES {
                return Err(InputError::FieldTooLong {
                    name,
                    len: value.len(),
                });
            }
            if fields.insert(name.clone(), value.clone()).is_some() {
                return Err(InputError::Duplicate(format!("field {name}")));
            }
        }
        let notification = parse_notification(&self.notification)?;
        let relevance = non_empty("relevance", self.relevance.clone())?;
        let public_source = non_empty("public_source", self.public_source.clone())?;
        let reference = non_empty("assessment_reference", self.assessment_reference.clone())?;
        let approver = non_empty("assessment_approver", self.assessment_approver.clone())?;
        let officer_role =
            non_empty("officer_role", Some(self.officer_role.clone()))?.unwrap_or_default();
        let basis = LegalBasis {
            function: non_empty("function", self.function.clone())?,
            necessity: non_empty("necessity", self.necessity.clone())?,
            power: non_empty("power", self.power.clone())?,
            agreement: non_empty("agreement", self.agreement.clone())?,
        };
        let outcome = non_empty("outcome", self.outcome.clone())?;
        let reasoning = non_empty("reasoning", self.reasoning.clone())?;
        let joint_engagement = non_empty("joint_engagement", self.joint_engagement.clone())?;

        match kind {
            CategoryKind::InformationRequest
            | CategoryKind::StakeholderMeeting
            | CategoryKind::PublicInformation
                if companies.is_empty() =>
            {
                return Err(InputError::NeedsCompany(kind));
            }
            CategoryKind::ThemeAndCompany if companies.len() != 1 => {
                return Err(InputError::OneCompany(companies.len()));
            }
            CategoryKind::ThemeOnly if !companies.is_empty() => {
                return Err(InputError::ThemeOnlyWithCompany);
            }
            _ => {}
        }
        if matches!(
            kind,
            CategoryKind::ThemeOnly | CategoryKind::ThemeAndCompany
        ) && themes.is_empty()
        {
            return Err(InputError::NeedsTheme(kind));
        }
        let not_for = |field, applies_to| InputError::NotForCategory {
            field,
            applies_to,
            category: kind,
        };
        if self.information_notice && kind != CategoryKind::InformationRequest {
            return Err(not_for("information_notice", "information-request"));
        }
        if public_source.is_some() && kind != CategoryKind::PublicInformation {
            return Err(not_for("public_source", "public-information"));
        }
        if (reference.is_some() || approver.is_some()) && kind != CategoryKind::CaseByCase {
            return Err(not_for(
                "assessment_reference/assessment_approver",
                "case-by-case",
            ));
        }
        if (outcome.is_some() || reasoning.is_some()) && kind != CategoryKind::CaseByCase {
            return Err(not_for("outcome/reasoning", "case-by-case"));
        }
        let decision = match (outcome, reasoning) {
            (Some(o), Some(reasoning)) => Some(CaseDecision {
                outcome: Outcome::parse(&o)
                    .filter(|o| *o != Outcome::Decline)
                    .ok_or(InputError::Outcome(o))?,
                reasoning,
            }),
            (None, None) => None,
            (Some(_), None) => return Err(InputError::Empty("reasoning")),
            (None, Some(_)) => return Err(InputError::Empty("outcome")),
        };
        // A case-by-case disclosure may lack an assessment (the policy engine flags it), but a
        // half-filled one is a typing slip.
        let assessment = match (reference, approver) {
            (Some(reference), Some(approver)) => Some(Assessment {
                reference,
                approver,
            }),
            (None, None) => None,
            (Some(_), None) => return Err(InputError::Empty("assessment_approver")),
            (None, Some(_)) => return Err(InputError::Empty("assessment_reference")),
        };
        Ok(ParsedDisclosure {
            from,
            to,
            disclosed_at,
            gateway,
            kind,
            information_notice: self.information_notice,
            companies,
            themes,
            fields,
            notification,
            relevance,
            basis,
            decision,
            joint_engagement,
            public_source,
            assessment,
            officer_role,
        })
    }
}

/// Reads `notified` or `skipped: <reason>`.
pub fn parse_notification(text: &str) -> Result<Notification, InputError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("notified") {
        return Ok(Notification::Notified);
    }
    // Routine disclosures are expected without prior notification (statement §4), so the
    // reason is optional; a case-by-case one skipped without a reason is flagged for review.
    if t.eq_ignore_ascii_case("skipped") {
        return Ok(Notification::Skipped {
            reason: String::new(),
        });
    }
    let lower = t.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("skipped:") {
        let reason = t[t.len() - rest.len()..].trim();
        return Ok(Notification::Skipped {
            reason: reason.to_owned(),
        });
    }
    Err(InputError::Notification(text.to_owned()))
}

impl ParsedDisclosure {
    /// Builds the disclosure, committing to each field value with a fresh salt from `salt`.
    /// `companies` and `relevance` are as the ledger resolved them. Returns the disclosure and
    /// the vault items (field name, salt ‖ value).
    pub fn build(
        &self,
        companies: Vec<CompanyRef>,
        relevance: Option<Relevance>,
        salt: &mut dyn FnMut() -> [u8; 32],
    ) -> (Disclosure, Vec<VaultItem>) {
        let themes = self.themes.clone();
        let category = match self.kind {
            CategoryKind::InformationRequest => Category::InformationRequest {
                companies,
                themes,
                information_notice: self.information_notice,
            },
            CategoryKind::StakeholderMeeting => Category::StakeholderMeeting { companies, themes },
            CategoryKind::PublicInformation => Category::PublicInformation {
                companies,
                themes,
                source: self.public_source.clone(),
            },
            CategoryKind::ThemeOnly => Category::ThemeOnly { themes },
            CategoryKind::ThemeAndCompany => Category::ThemeAndCompany {
                company: companies
                    .into_iter()
                    .next()
                    .expect("parse() guarantees exactly one company"),
                themes,
            },
            CategoryKind::CaseByCase => Category::CaseByCase {
                companies,
                themes,
                assessment: self.assessment.clone(),
            },
        };
        let mut fields = Vec::with_capacity(self.fields.len());
        let mut vault = Vec::with_capacity(self.fields.len());
        for (name, value) in &self.fields {
            let s = salt();
            fields.push(FieldCommitment {
                name: name.clone(),
                commitment: field_commitment(&s, name.as_str(), value.as_bytes()),
            });
            let mut item = s.to_vec();
            item.extend_from_slice(value.as_bytes());
            vault.push((name.as_str().to_owned(), item));
        }
        let disclosure = Disclosure {
            from: self.from.clone(),
            to: self.to.clone(),
            disclosed_at: self.disclosed_at,
            gateway: self.gateway.clone(),
            category,
            fields,
            notification: self.notification.clone(),
            relevance,
            officer_role: self.officer_role.clone(),
            basis: self.basis.clone(),
            decision: self.decision.clone(),
            joint_engagement: self.joint_engagement.clone(),
        };
        (disclosure, vault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_error_says_where_in_words_that_fit_the_input() {
        let one_line = DisclosureInput::from_json(r#"{"from":"OFCOM","bogus":1}"#)
            .unwrap_err()
            .to_string();
        assert!(one_line.contains("unknown field `bogus`"), "{one_line}");
        assert!(one_line.contains("(at column "), "{one_line}");
        assert!(!one_line.contains("at line 1"), "{one_line}");
        let file = DisclosureInput::from_json("{\n  \"from\": \"OFCOM\",\n  \"bogus\": 1\n}")
            .unwrap_err()
            .to_string();
        assert!(file.contains("(at line 3 column "), "{file}");
    }
}
