//! The flag catalogue: every policy flag, its stable code, severity, the statement section it
//! rests on, the statement's own words and what a reviewer should check. `dledger explain` and
//! docs/POLICY.md are generated from this one table, so they cannot drift apart.

use serde::Serialize;

use crate::model::{CompanyId, FieldName, Seq, ThemeId, Timestamp};

/// How much attention a flag needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Outside what was agreed: a reviewer must look.
    High,
    /// Allowed, but for review (e.g. late, or skipped notification of a non-routine disclosure).
    Review,
    /// For information (e.g. superseded by a correction).
    Info,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Review => "review",
            Severity::Info => "info",
        }
    }
}

/// A kind of policy flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FlagCode {
    /// A routine category about a company not of mutual interest on the disclosure date.
    NotMutualInterest,
    /// Theme + a company not of mutual interest, shared without a case-by-case assessment.
    ThemeCompanyWithoutAssessment,
    /// A field outside the category's allowed fields.
    FieldOutsideCategory,
    /// The content of an information request was shared.
    RequestContentShared,
    /// A theme not in force on the disclosure date.
    ThemeNotInForce,
    /// No theme where the category needs one.
    ThemeMissing,
    /// A theme-only disclosure whose fields name a company.
    CompanyNamedInThemeOnly,
    /// A gateway the disclosing party cannot rely on.
    GatewayNotAvailable,
    /// A gateway from another party's statute.
    GatewayOfOtherParty,
    /// Case-by-case without an assessment reference or approver.
    CaseByCaseWithoutAssessment,
    /// Prior notification skipped for a non-routine disclosure.
    NotificationSkippedNonRoutine,
    /// Information request or meeting without the relevance statement the party's limb requires.
    RelevanceMissing,
    /// Public information without a source reference.
    PublicSourceMissing,
    /// Recorded later than the policy allows.
    LateRecord,
    /// Not acknowledged within the policy's days (still unacknowledged).
    Unacknowledged,
    /// Acknowledged, but later than the policy allows.
    LateAcknowledgement,
    /// Superseded by a correction.
    Superseded,
    /// A format 2 correction's replacement the recipient has not yet acknowledged.
    CorrectionUnacknowledged,
    /// The disclosing party is not named in the policy in force.
    PartyNotInPolicy,
    /// The recipient is not a party the policy in force pairs with the discloser.
    RecipientNotInPolicy,
    /// The policy document recorded in the ledger cannot be read.
    PolicyUnreadable,
}

/// One row of the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FlagInfo {
    /// The flag.
    pub code: FlagCode,
    /// Severity.
    pub severity: Severity,
    /// Statement sections it rests on, e.g. "§3, §5".
    pub sections: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// The statement's words it rests on (2024 ICO–Ofcom joint statement).
    pub statement: &'static str,
    /// What a reviewer should check.
    pub check: &'static str,
}

/// The catalogue, in report order.
pub const CATALOGUE: &[FlagInfo] = &[
    FlagInfo {
        code: FlagCode::NotMutualInterest,
        severity: Severity::High,
        sections: "§3, §5",
        title: "routine disclosure about a company not of mutual interest",
        statement: "Where information concerns a company of mutual interest and it is of one of the specific types listed below, ICO and Ofcom colleagues will routinely share information (§5). If a company is of interest to one regulator only, this will not be considered a company of mutual interest (§3).",
        check: "Was the company designated by both regulators on the disclosure date? If not, was there a case-by-case assessment under the discloser's gateway that should have been recorded instead?",
    },
    FlagInfo {
        code: FlagCode::ThemeCompanyWithoutAssessment,
        severity: Severity::High,
        sections: "§5",
        title: "theme and a company not of mutual interest, without case-by-case assessment",
        statement: "Where information concerns a Collaboration Theme and a specific company which is not a company of mutual interest, this information would not be routinely shared but will be subject to a case-by-case assessment (§5).",
        check: "Find the case-by-case assessment for this disclosure. If there was one, record a correction as case-by-case with its reference and approver; if not, treat as a disclosure outside the agreed arrangements.",
    },
    FlagInfo {
        code: FlagCode::FieldOutsideCategory,
        severity: Severity::High,
        sections: "§5",
        title: "field shared outside the category's allowed fields",
        statement: "For both regulators the information that can be routinely shared is limited to dates of meetings, any relevant Collaboration Theme(s) and the names of the company or companies (§5, stakeholder meetings); generic information includes the date of the request, expected response time/deadline, and the company name or names (§5, information requests).",
        check: "Open the field (evidence bundle) and decide whether it went beyond the routine category. If it did, it needed a case-by-case assessment.",
    },
    FlagInfo {
        code: FlagCode::RequestContentShared,
        severity: Severity::High,
        sections: "§5",
        title: "content of an information request shared",
        statement: "It does not include information about the content of the request (§5, information requests).",
        check: "Establish what of the request's content was shared and under which gateway; routine sharing never includes it.",
    },
    FlagInfo {
        code: FlagCode::ThemeNotInForce,
        severity: Severity::High,
        sections: "§2, §5",
        title: "Collaboration Theme not in force on the disclosure date",
        statement: "These Collaboration Themes will be periodically reviewed and may change as new priorities emerge (§2).",
        check: "Was the theme declared (and not yet retired) when the disclosure was made? If it had been retired, which theme applied instead?",
    },
    FlagInfo {
        code: FlagCode::ThemeMissing,
        severity: Severity::Review,
        sections: "§2, §5",
        title: "no Collaboration Theme where the category needs one",
        statement: "Our teams will adapt approaches to collaboration depending on the extent to which Collaboration Themes are present in our supervision of companies of mutual interest (§5).",
        check: "Which theme did the disclosure concern? Record a correction naming it.",
    },
    FlagInfo {
        code: FlagCode::CompanyNamedInThemeOnly,
        severity: Severity::High,
        sections: "§5",
        title: "theme-only disclosure that names a company",
        statement: "Where information concerns a Collaboration Theme without a specific company being identified, this information can be shared (§5).",
        check: "A company was identified, so this was not theme-only: was the company of mutual interest (theme + company), or did it need a case-by-case assessment?",
    },
    FlagInfo {
        code: FlagCode::GatewayNotAvailable,
        severity: Severity::High,
        sections: "§4",
        title: "gateway the disclosing party cannot rely on",
        statement: "Any such disclosure will only be made in accordance with the disclosure gateways that apply to each of Ofcom and the ICO (§1, §4).",
        check: "Which gateway was actually relied on? Check the citation against the discloser's statute (Ofcom: Communications Act 2003 s393; ICO: Data Protection Act 2018 s132(2)).",
    },
    FlagInfo {
        code: FlagCode::GatewayOfOtherParty,
        severity: Severity::High,
        sections: "§4",
        title: "gateway from the other party's statute",
        statement: "For Ofcom – section 393 of the Communications Act 2003 … For the ICO – section 132 of the Data Protection Act 2018 (§4).",
        check: "A regulator can only rely on its own statute's gateway. Identify the discloser's real gateway and record a correction.",
    },
    FlagInfo {
        code: FlagCode::CaseByCaseWithoutAssessment,
        severity: Severity::High,
        sections: "§4, §5",
        title: "case-by-case disclosure without an assessment reference or approver",
        statement: "The extent of disclosure and the applicable process will be considered on a case-by-case basis (§4).",
        check: "Find the assessment and its approver and record them with a correction; without one the disclosure has no recorded basis.",
    },
    FlagInfo {
        code: FlagCode::NotificationSkippedNonRoutine,
        severity: Severity::Review,
        sections: "§4",
        title: "prior notification skipped for a non-routine disclosure",
        statement: "There may be occasions where such information is disclosed without prior notification to the relevant service (§4).",
        check: "Allowed, but for review: is the recorded reason for not notifying the service sufficient?",
    },
    FlagInfo {
        code: FlagCode::RelevanceMissing,
        severity: Severity::Review,
        sections: "§5",
        title: "information request or meeting without the relevance its limb requires",
        statement: "The ICO may share … information that concerns matters of potential intersection between online safety and data protection. Ofcom may share … information that is relevant to online safety (§5).",
        check: "Was the information within the discloser's limb? Record a correction with the relevance statement, or treat it as outside the routine category.",
    },
    FlagInfo {
        code: FlagCode::PublicSourceMissing,
        severity: Severity::Review,
        sections: "§5",
        title: "public information without a public source reference",
        statement: "Publicly available information which may be of interest to the other regulator e.g., information about a company that is currently of mutual interest that has been reported in the press (§5).",
        check: "Where was it published? Without a source the information cannot be shown to have been public.",
    },
    FlagInfo {
        code: FlagCode::LateRecord,
        severity: Severity::Review,
        sections: "§6",
        title: "recorded later than the policy allows",
        statement: "We will periodically evaluate the effectiveness of these methods and identify opportunities to improve them (§6).",
        check: "Why was the disclosure recorded late? Late records weaken the ledger as evidence of what was shared when.",
    },
    FlagInfo {
        code: FlagCode::Unacknowledged,
        severity: Severity::Review,
        sections: "§6",
        title: "not acknowledged by the recipient within the policy's days",
        statement: "We will periodically evaluate the effectiveness of these methods and identify opportunities to improve them (§6).",
        check: "Did the recipient receive the information? Ask them to acknowledge it, or record why not.",
    },
    FlagInfo {
        code: FlagCode::LateAcknowledgement,
        severity: Severity::Info,
        sections: "§6",
        title: "acknowledged later than the policy allows",
        statement: "We will periodically evaluate the effectiveness of these methods and identify opportunities to improve them (§6).",
        check: "For the effectiveness review: why was acknowledgement slow?",
    },
    FlagInfo {
        code: FlagCode::Superseded,
        severity: Severity::Info,
        sections: "§6",
        title: "superseded by a correction",
        statement: "We will regularly review this approach to collaboration to ensure its continued effectiveness (§1).",
        check: "Read the correction with the original: the original stays in the ledger as what was first recorded.",
    },
    FlagInfo {
        code: FlagCode::CorrectionUnacknowledged,
        severity: Severity::Review,
        sections: "§6",
        title: "correction not acknowledged by the recipient",
        statement: "We will periodically evaluate the effectiveness of these methods and identify opportunities to improve them (§6).",
        check: "A correction changes what the recipient was told it received. Ask the recipient to acknowledge the correction (`dledger ack N` with the correction's number); until then the corrected record is one-sided.",
    },
    FlagInfo {
        code: FlagCode::PartyNotInPolicy,
        severity: Severity::High,
        sections: "§4",
        title: "disclosing party not named in the policy in force",
        statement: "Any such disclosure will only be made in accordance with the disclosure gateways that apply to each of Ofcom and the ICO (§1, §4).",
        check: "Adopt a policy naming the party and its gateways before it discloses; judge this disclosure case by case.",
    },
    FlagInfo {
        code: FlagCode::RecipientNotInPolicy,
        severity: Severity::High,
        sections: "§4",
        title: "recipient not a party the policy in force pairs with the discloser",
        statement: "We set out in this statement our proposed approach to collaboration, including the information that Ofcom and the ICO intend to disclose to each other (§4).",
        check: "The arrangement covers disclosures between the parties the policy names. Was there a gateway and an agreement for this recipient? Record it as a case-by-case disclosure under the right policy, or adopt a policy that names the recipient.",
    },
    FlagInfo {
        code: FlagCode::PolicyUnreadable,
        severity: Severity::High,
        sections: "§6",
        title: "policy document in the ledger cannot be read",
        statement: "We will regularly inform stakeholders about updates to our joint ways of working (§6).",
        check: "The disclosures from this policy's effective date were judged by the previous readable policy. Adopt a corrected policy.",
    },
];

impl FlagCode {
    /// Stable kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            FlagCode::NotMutualInterest => "not-mutual-interest",
            FlagCode::ThemeCompanyWithoutAssessment => "theme-company-without-assessment",
            FlagCode::FieldOutsideCategory => "field-outside-category",
            FlagCode::RequestContentShared => "request-content-shared",
            FlagCode::ThemeNotInForce => "theme-not-in-force",
            FlagCode::ThemeMissing => "theme-missing",
            FlagCode::CompanyNamedInThemeOnly => "company-named-in-theme-only",
            FlagCode::GatewayNotAvailable => "gateway-not-available-to-party",
            FlagCode::GatewayOfOtherParty => "gateway-of-other-party",
            FlagCode::CaseByCaseWithoutAssessment => "case-by-case-without-assessment",
            FlagCode::NotificationSkippedNonRoutine => "notification-skipped-non-routine",
            FlagCode::RelevanceMissing => "relevance-missing",
            FlagCode::PublicSourceMissing => "public-source-missing",
            FlagCode::LateRecord => "late-record",
            FlagCode::Unacknowledged => "unacknowledged",
            FlagCode::LateAcknowledgement => "late-acknowledgement",
            FlagCode::Superseded => "superseded",
            FlagCode::CorrectionUnacknowledged => "correction-unacknowledged",
            FlagCode::PartyNotInPolicy => "party-not-in-policy",
            FlagCode::RecipientNotInPolicy => "recipient-not-in-policy",
            FlagCode::PolicyUnreadable => "policy-unreadable",
        }
    }

    /// Reads a code.
    pub fn from_code(code: &str) -> Option<FlagCode> {
        CATALOGUE.iter().map(|i| i.code).find(|c| c.code() == code)
    }

    /// This flag's catalogue row.
    pub fn info(self) -> &'static FlagInfo {
        CATALOGUE
            .iter()
            .find(|i| i.code == self)
            .expect("every flag code has a catalogue row")
    }
}

impl std::fmt::Display for FlagCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.code())
    }
}

/// One flag raised on one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// The entry flagged.
    pub seq: Seq,
    /// When the flagged disclosure was made (for a policy entry: when it was recorded).
    pub at: Timestamp,
    /// What kind of flag.
    pub code: FlagCode,
    /// Severity (from the catalogue).
    pub severity: Severity,
    /// Statement sections (from the catalogue).
    pub sections: &'static str,
    /// One line naming the entry, companies, themes and fields concerned.
    pub message: String,
    /// Companies concerned.
    pub companies: Vec<CompanyId>,
    /// Themes concerned.
    pub themes: Vec<ThemeId>,
    /// Fields concerned.
    pub fields: Vec<FieldName>,
}

impl Flag {
    /// A flag with the catalogue's severity and sections.
    pub fn new(seq: Seq, at: Timestamp, code: FlagCode, message: String) -> Flag {
        let info = code.info();
        Flag {
            seq,
            at,
            code,
            severity: info.severity,
            sections: info.sections,
            message,
            companies: Vec::new(),
            themes: Vec::new(),
            fields: Vec::new(),
        }
    }
}

/// The catalogue as Markdown, for docs/POLICY.md (a test keeps the two identical).
pub fn catalogue_markdown() -> String {
    use std::fmt::Write;
    let mut out = String::from("| code | severity | statement | meaning |\n|---|---|---|---|\n");
    for i in CATALOGUE {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            i.code,
            i.severity.as_str(),
            i.sections,
            i.title
        );
    }
    for i in CATALOGUE {
        let _ = write!(
            out,
            "\n### `{}`\n\n{} — severity **{}**, statement {}.\n\n> {}\n\n**Check:** {}\n",
            i.code,
            i.title,
            i.severity.as_str(),
            i.sections,
            i.statement,
            i.check
        );
    }
    out
}
