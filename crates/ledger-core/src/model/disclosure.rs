//! A disclosure: what one regulator shared with another, under which gateway, and why.

use serde::{Deserialize, Serialize};

use super::{CompanyId, FieldName, Gateway, PartyId, ThemeId, Timestamp};

/// A company as named in an entry: its stable id and the name it had at the time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct CompanyRef {
    /// Stable id, unchanged by renames.
    pub id: CompanyId,
    /// The company's name when the entry was recorded.
    pub name: String,
}

/// A field of information that was shared, by name, with a salted SHA-256 commitment to its
/// value. The value and salt live in the vault, outside the hashed log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldCommitment {
    /// What the field is, e.g. `request_date`.
    pub name: FieldName,
    /// SHA-256 commitment to (salt, name, value); see `hash::field_commitment`.
    #[serde(with = "super::bytes::hex_bytes")]
    pub commitment: [u8; 32],
}

/// Whether the service the information is about was told beforehand (2024 statement §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Notification {
    /// The service was notified before the disclosure.
    Notified,
    /// Notification was skipped, for the reason given.
    Skipped {
        /// Why the service was not notified.
        reason: String,
    },
}

/// A case-by-case assessment (2024 statement §4, §5) authorising a non-routine disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Assessment {
    /// The assessment's reference in the disclosing regulator's records.
    pub reference: String,
    /// The role of whoever approved it (no personal data needed).
    pub approver: String,
}

/// The sharing category (2024 statement §5). Each variant carries only what that category can
/// concern, so, for example, a theme-only disclosure has no company to fill in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    /// Generic information about an information request, including Information Notices.
    InformationRequest {
        /// Companies the request was sent to (at least one).
        companies: Vec<CompanyRef>,
        /// Collaboration Themes concerned, if any.
        themes: Vec<ThemeId>,
        /// Whether the request was a formal Information Notice.
        information_notice: bool,
    },
    /// Information about a stakeholder meeting.
    StakeholderMeeting {
        /// Companies that attended (at least one).
        companies: Vec<CompanyRef>,
        /// Collaboration Themes discussed.
        themes: Vec<ThemeId>,
    },
    /// Publicly available information, e.g. a press report.
    PublicInformation {
        /// Companies the information is about.
        companies: Vec<CompanyRef>,
        /// Collaboration Themes concerned, if any.
        themes: Vec<ThemeId>,
        /// Where the information was published (absent only if the recorder omitted it).
        source: Option<String>,
    },
    /// A Collaboration Theme with no company identified.
    ThemeOnly {
        /// Themes concerned (at least one).
        themes: Vec<ThemeId>,
    },
    /// A Collaboration Theme and one specific company.
    ThemeAndCompany {
        /// The company concerned.
        company: CompanyRef,
        /// Themes concerned (at least one).
        themes: Vec<ThemeId>,
    },
    /// Anything beyond the routine categories, decided case by case.
    CaseByCase {
        /// Companies concerned, if any.
        companies: Vec<CompanyRef>,
        /// Themes concerned, if any.
        themes: Vec<ThemeId>,
        /// The assessment relied on (absent only if the recorder omitted it).
        assessment: Option<Assessment>,
    },
}

/// The category's name without its data, for filters, counts and policy tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CategoryKind {
    /// See [`Category::InformationRequest`].
    InformationRequest,
    /// See [`Category::StakeholderMeeting`].
    StakeholderMeeting,
    /// See [`Category::PublicInformation`].
    PublicInformation,
    /// See [`Category::ThemeOnly`].
    ThemeOnly,
    /// See [`Category::ThemeAndCompany`].
    ThemeAndCompany,
    /// See [`Category::CaseByCase`].
    CaseByCase,
}

impl CategoryKind {
    /// Every category, in the order the statement lists them.
    pub const ALL: [CategoryKind; 6] = [
        CategoryKind::InformationRequest,
        CategoryKind::StakeholderMeeting,
        CategoryKind::PublicInformation,
        CategoryKind::ThemeOnly,
        CategoryKind::ThemeAndCompany,
        CategoryKind::CaseByCase,
    ];

    /// The kebab-case name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CategoryKind::InformationRequest => "information-request",
            CategoryKind::StakeholderMeeting => "stakeholder-meeting",
            CategoryKind::PublicInformation => "public-information",
            CategoryKind::ThemeOnly => "theme-only",
            CategoryKind::ThemeAndCompany => "theme-and-company",
            CategoryKind::CaseByCase => "case-by-case",
        }
    }

    /// Reads the kebab-case name.
    pub fn parse(text: &str) -> Option<CategoryKind> {
        CategoryKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for CategoryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl Category {
    /// The category's name without its data.
    pub fn kind(&self) -> CategoryKind {
        match self {
            Category::InformationRequest { .. } => CategoryKind::InformationRequest,
            Category::StakeholderMeeting { .. } => CategoryKind::StakeholderMeeting,
            Category::PublicInformation { .. } => CategoryKind::PublicInformation,
            Category::ThemeOnly { .. } => CategoryKind::ThemeOnly,
            Category::ThemeAndCompany { .. } => CategoryKind::ThemeAndCompany,
            Category::CaseByCase { .. } => CategoryKind::CaseByCase,
        }
    }

    /// The companies this disclosure concerns (empty for theme-only).
    pub fn companies(&self) -> &[CompanyRef] {
        match self {
            Category::InformationRequest { companies, .. }
            | Category::StakeholderMeeting { companies, .. }
            | Category::PublicInformation { companies, .. }
            | Category::CaseByCase { companies, .. } => companies,
            Category::ThemeAndCompany { company, .. } => std::slice::from_ref(company),
            Category::ThemeOnly { .. } => &[],
        }
    }

    /// The Collaboration Themes this disclosure concerns.
    pub fn themes(&self) -> &[ThemeId] {
        match self {
            Category::InformationRequest { themes, .. }
            | Category::StakeholderMeeting { themes, .. }
            | Category::PublicInformation { themes, .. }
            | Category::ThemeOnly { themes }
            | Category::ThemeAndCompany { themes, .. }
            | Category::CaseByCase { themes, .. } => themes,
        }
    }
}

/// One disclosure from one regulator to another.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Disclosure {
    /// The disclosing regulator; it signs the entry.
    pub from: PartyId,
    /// The receiving regulator; it acknowledges the entry.
    pub to: PartyId,
    /// When the information was disclosed (the entry's own time is when it was recorded).
    pub disclosed_at: Timestamp,
    /// The gateway relied on.
    pub gateway: Gateway,
    /// The sharing category, with the companies and themes it concerns.
    pub category: Category,
    /// The fields shared, each committed to without revealing its value.
    pub fields: Vec<FieldCommitment>,
    /// Whether the service was notified first.
    pub notification: Notification,
    /// Why the information is within the disclosing regulator's limb of §5: in format 2 the
    /// limb relied on, chosen from the policy; in format 1 a free-text statement.
    pub relevance: Option<Relevance>,
    /// The role of the officer who recorded the disclosure (no personal data).
    pub officer_role: String,
    /// The legal basis beyond the gateway (format 2; empty for format 1 entries).
    pub basis: LegalBasis,
    /// For a case-by-case disclosure, the assessment's outcome and reasoning (format 2).
    pub decision: Option<CaseDecision>,
    /// Joint engagement that followed or accompanied the disclosure (statement §6), if any
    /// (format 2).
    pub joint_engagement: Option<String>,
}

/// Why a disclosure is within the discloser's limb of §5 of the 2024 statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Relevance {
    /// Format 1: a free-text statement, judged by whether it contains the limb's words.
    Statement(String),
    /// Format 2: the limb relied on, as a structured choice: the party whose limb it is and the
    /// limb's words exactly as the policy in force states them.
    Limb {
        /// The party whose limb of §5 is relied on (the discloser).
        party: PartyId,
        /// The limb's words, copied from the policy in force.
        words: String,
    },
}

impl Relevance {
    /// The words recorded, for display.
    pub fn text(&self) -> &str {
        match self {
            Relevance::Statement(s) => s,
            Relevance::Limb { words, .. } => words,
        }
    }
}

impl std::fmt::Display for Relevance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Relevance::Statement(s) => write!(f, "{s:?} (free text, format 1)"),
            Relevance::Limb { party, words } => write!(f, "{party}'s limb: {words:?}"),
        }
    }
}

/// The legal basis of a disclosure beyond its gateway (2024 statement §4; 2022 DRCF statement).
/// Every part is optional on the wire; which parts the policy expects is a flag, not a rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LegalBasis {
    /// The discloser's function the disclosure serves, by its id in the policy, e.g.
    /// `online-safety` (Ofcom) or `uk-gdpr-art57` (ICO).
    pub function: Option<String>,
    /// Why the disclosure is necessary for that function.
    pub necessity: Option<String>,
    /// The power the shared information was obtained under, e.g. "information notice under
    /// Online Safety Act 2023 s100".
    pub power: Option<String>,
    /// The statement or memorandum relied on, e.g. `ico-ofcom-2024`.
    pub agreement: Option<String>,
}

impl LegalBasis {
    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.function.is_none()
            && self.necessity.is_none()
            && self.power.is_none()
            && self.agreement.is_none()
    }
}

/// What a case-by-case assessment decided (2024 statement §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Disclose the information assessed.
    Disclose,
    /// Disclose part of it.
    DiscloseInPart,
    /// Do not disclose (recorded by a refusal entry).
    Decline,
}

impl Outcome {
    /// Every outcome, in wire order.
    pub const ALL: [Outcome; 3] = [Outcome::Disclose, Outcome::DiscloseInPart, Outcome::Decline];

    /// The kebab-case name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Disclose => "disclose",
            Outcome::DiscloseInPart => "disclose-in-part",
            Outcome::Decline => "decline",
        }
    }

    /// Reads the kebab-case name.
    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// The outcome of a case-by-case assessment and a summary of its reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CaseDecision {
    /// What was decided.
    pub outcome: Outcome,
    /// A summary of why (no personal data).
    pub reasoning: String,
}
