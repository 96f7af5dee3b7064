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
    /// Reads a lower-case name.
    pub fn parse(s: &str) -> Option<Severity> {
        [Severity::High, Severity::Review, Severity::Info]
            .into_iter()
            .find(|x| x.as_str() == s.trim())
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Review => "review",
            Severity::Info => "info",
        }
    }
}

/// A kind of policy flag. In JSON it is its [`FlagCode::code`], the string `verify` counts it
/// under, `explain` takes and docs/POLICY.md lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FlagCode {
    /// A routine category about a company not of mutual interest on the disclosure date.
    NotMutualInterest,
    /// A routine category with a party the statement's routine sharing does not cover.
    RoutineOutsideStatement,
    /// Theme + a company not of mutual interest, shared without a case-by-case assessment.
    ThemeCompanyWithoutAssessment,
    /// A field outside the fields the statement lists for the category.
    FieldOutsideCategory,
    /// A field outside the fields the regulators' local practice allows for the category.
    FieldOutsidePractice,
    /// The content of an information request was shared.
    RequestContentShared,
    /// A Collaboration Theme attached to an information request.
    ThemeOnRequest,
    /// A theme not in force on the disclosure date.
    ThemeNotInForce,
    /// No theme in a theme-only or theme-and-company disclosure.
    ThemeMissing,
    /// No theme where the regulators' policy asks for one in another category.
    ThemeRequiredByPolicy,
    /// A theme-only disclosure whose fields name a company.
    CompanyNamedInThemeOnly,
    /// A gateway the disclosing party cannot rely on.
    GatewayNotAvailable,
    /// A gateway from another party's statute.
    GatewayOfOtherParty,
    /// A function that is not one of the disclosing party's.
    FunctionNotOfParty,
    /// A case-by-case disclosure that records no function.
    FunctionMissing,
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

/// What a flag rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// A rule of the statements: the ids of the passages of [`super::STATEMENT_RULES`] it
    /// applies.
    Statement(&'static [&'static str]),
    /// A rule of the regulators' own (not of the statements), set in the policy document and
    /// applied from that policy's effective date; with the passages it serves, if any.
    LocalPractice(&'static [&'static str]),
    /// A fact about the record itself (the ledger's own record-keeping), not a rule of the
    /// statements or of the regulators.
    Record,
}

impl Basis {
    /// The statement passages named.
    pub fn passages(self) -> &'static [&'static str] {
        match self {
            Basis::Statement(ids) | Basis::LocalPractice(ids) => ids,
            Basis::Record => &[],
        }
    }

    /// "statement", "local practice" or "record".
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Statement(_) => "statement",
            Basis::LocalPractice(_) => "local practice",
            Basis::Record => "record",
        }
    }
}

/// One row of the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FlagInfo {
    /// The flag.
    pub code: FlagCode,
    /// Default severity (a policy may set another for a local-practice flag).
    pub severity: Severity,
    /// What it rests on, e.g. "2024 §3, §5", or "local practice".
    pub sections: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// The statement passages it applies, or the local practice or record-keeping it is.
    pub basis: Basis,
    /// For local practice and record-keeping: the rule in the tool's words, and where the
    /// policy sets it.
    pub practice: &'static str,
    /// What a reviewer should check.
    pub check: &'static str,
}

use Basis::{LocalPractice, Record, Statement};

/// The catalogue, in report order.
pub const CATALOGUE: &[FlagInfo] = &[
    FlagInfo {
        code: FlagCode::NotMutualInterest,
        severity: Severity::High,
        sections: "2024 §3, §5",
        title: "routine disclosure about a company not of mutual interest",
        basis: Statement(&["2024-s5-routine", "2024-s3-one-regulator", "2024-s5-public"]),
        practice: "",
        check: "Was the company designated by both regulators on the disclosure date? If not, was there a case-by-case assessment under the discloser's gateway that should have been recorded instead?",
    },
    FlagInfo {
        code: FlagCode::RoutineOutsideStatement,
        severity: Severity::High,
        sections: "2024 §4, §5",
        title: "routine category with a party outside the statement's routine sharing",
        basis: Statement(&["2024-s5-routine", "2024-s4-intend"]),
        practice: "",
        check: "The statement's routine sharing is between the ICO and Ofcom. A disclosure to or from another party (e.g. the CMA) needs a case-by-case assessment under the discloser's gateway: find it and record a correction as case-by-case, or treat the disclosure as outside the agreed arrangements.",
    },
    FlagInfo {
        code: FlagCode::ThemeCompanyWithoutAssessment,
        severity: Severity::High,
        sections: "2024 §3, §5",
        title: "theme and a company not of mutual interest, without case-by-case assessment",
        basis: Statement(&["2024-s5-theme-company-not-mutual", "2024-s3-one-regulator"]),
        practice: "",
        check: "Find the case-by-case assessment for this disclosure. If there was one, record a correction as case-by-case with its reference and approver; if not, treat as a disclosure outside the agreed arrangements.",
    },
    FlagInfo {
        code: FlagCode::FieldOutsideCategory,
        severity: Severity::High,
        sections: "2024 §4, §5",
        title: "field outside what the statement lists for the category",
        basis: Statement(&[
            "2024-s5-request-generic",
            "2024-s5-meeting-limited",
            "2024-s4-limited",
        ]),
        practice: "",
        check: "Open the field (evidence bundle) and decide whether it went beyond the routine category. If it did, it needed a case-by-case assessment.",
    },
    FlagInfo {
        code: FlagCode::FieldOutsidePractice,
        severity: Severity::Review,
        sections: "local practice",
        title: "field outside the regulators' own field list for the category",
        basis: LocalPractice(&[
            "2024-s5-public",
            "2024-s5-theme-only",
            "2024-s5-theme-company",
            "2024-s4-limited",
        ]),
        practice: "The statement lists the fields of information requests and stakeholder meetings only. For public information, theme-only and theme-and-company disclosures, the fields allowed are the regulators' own list (`allowed_fields` of the category in the policy document).",
        check: "Is the field within what the regulators agreed for this category? If the list is too narrow, adopt a policy that widens it; if the field went beyond the category, it needed a case-by-case assessment.",
    },
    FlagInfo {
        code: FlagCode::RequestContentShared,
        severity: Severity::High,
        sections: "2024 §5",
        title: "content of an information request shared",
        basis: Statement(&["2024-s5-request-content"]),
        practice: "",
        check: "Establish what of the request's content was shared and under which gateway; routine sharing never includes it.",
    },
    FlagInfo {
        code: FlagCode::ThemeOnRequest,
        severity: Severity::High,
        sections: "2024 §5",
        title: "Collaboration Theme attached to an information request",
        basis: Statement(&["2024-s5-request-generic"]),
        practice: "",
        check: "Generic information about a request is its date, deadline and the company names. Was the theme shared with the recipient? If so, it went beyond the routine category and needed a case-by-case assessment; if it was recorded in error, record a correction without it.",
    },
    FlagInfo {
        code: FlagCode::ThemeNotInForce,
        severity: Severity::Review,
        sections: "2024 §2",
        title: "theme not a Collaboration Theme in force on the disclosure date",
        basis: Statement(&["2024-s2-themes-change", "2024-s2-illustrative"]),
        practice: "",
        check: "Had both regulators identified the theme (declared, confirmed and not retired) when the disclosure was made? If not, the theme limbs of §5 did not apply: was the disclosure within another category, or does the theme need declaring?",
    },
    FlagInfo {
        code: FlagCode::ThemeMissing,
        severity: Severity::Review,
        sections: "2024 §5",
        title: "no Collaboration Theme in a theme-only or theme-and-company disclosure",
        basis: Statement(&["2024-s5-theme-only", "2024-s5-theme-company"]),
        practice: "",
        check: "Which theme did the disclosure concern? Record a correction naming it.",
    },
    FlagInfo {
        code: FlagCode::ThemeRequiredByPolicy,
        severity: Severity::Review,
        sections: "local practice",
        title: "no theme where the regulators' policy asks for one",
        basis: LocalPractice(&["2024-s5-meeting-limited"]),
        practice: "The statement requires a theme only of theme-only and theme-and-company disclosures; a meeting shares \"any relevant Collaboration Theme(s)\". A policy may still ask for a theme in another category (`requires_theme`); policy schema 1's default policy did for stakeholder meetings, and ledgers that recorded it are judged by it.",
        check: "Which theme, if any, did the disclosure concern? Record a correction naming it, or adopt a policy that does not ask for one.",
    },
    FlagInfo {
        code: FlagCode::CompanyNamedInThemeOnly,
        severity: Severity::High,
        sections: "2024 §5",
        title: "theme-only disclosure that names a company",
        basis: Statement(&["2024-s5-theme-only"]),
        practice: "",
        check: "A company was identified, so this was not theme-only: was the company of mutual interest (theme + company), or did it need a case-by-case assessment?",
    },
    FlagInfo {
        code: FlagCode::GatewayNotAvailable,
        severity: Severity::High,
        sections: "2024 §1, §4",
        title: "gateway the disclosing party cannot rely on",
        basis: Statement(&["2024-s1-gateways", "2024-s4-s393", "2024-s4-s132"]),
        practice: "",
        check: "Which gateway was actually relied on? Check the citation against the discloser's statute (Ofcom: Communications Act 2003 s393; ICO: Data Protection Act 2018 s132(2)). If no gateway was engaged (e.g. public-domain information), record a correction saying so, with the reason.",
    },
    FlagInfo {
        code: FlagCode::GatewayOfOtherParty,
        severity: Severity::High,
        sections: "2024 §1, §4",
        title: "gateway from the other party's statute",
        basis: Statement(&["2024-s4-s393", "2024-s4-s132", "2024-s1-gateways"]),
        practice: "",
        check: "A regulator can only rely on its own statute's gateway. Identify the discloser's real gateway and record a correction.",
    },
    FlagInfo {
        code: FlagCode::FunctionNotOfParty,
        severity: Severity::High,
        sections: "2024 §4",
        title: "function served is not one of the disclosing party's",
        basis: Statement(&[
            "2024-s4-functions",
            "2024-s4-s393-functions",
            "2024-s4-s132-functions",
        ]),
        practice: "",
        check: "Each regulator discloses to carry out its own functions (Ofcom: Online Safety Act 2023; ICO: UK GDPR Articles 57–58, DPA 2018 ss115–116). Which of the discloser's functions did this disclosure serve? Record a correction naming it.",
    },
    FlagInfo {
        code: FlagCode::FunctionMissing,
        severity: Severity::Review,
        sections: "2024 §4",
        title: "case-by-case disclosure without the function it serves",
        basis: Statement(&[
            "2024-s4-case-by-case",
            "2024-s4-s393-functions",
            "2024-s4-s132-functions",
        ]),
        practice: "",
        check: "A disclosure beyond the routine categories rests on the gateway's purpose: which of the discloser's functions did it serve, and why was it necessary? Record a correction with the function.",
    },
    FlagInfo {
        code: FlagCode::CaseByCaseWithoutAssessment,
        severity: Severity::High,
        sections: "2024 §4, §5",
        title: "case-by-case disclosure without an assessment reference or approver",
        basis: Statement(&["2024-s4-case-by-case", "2024-s5-theme-company-not-mutual"]),
        practice: "",
        check: "Find the assessment and its approver and record them with a correction; without one the disclosure has no recorded basis.",
    },
    FlagInfo {
        code: FlagCode::NotificationSkippedNonRoutine,
        severity: Severity::Review,
        sections: "2024 §4",
        title: "prior notification skipped for a non-routine disclosure",
        basis: Statement(&["2024-s4-case-notification"]),
        practice: "",
        check: "Allowed, but for review: is the recorded reason for not notifying the service sufficient?",
    },
    FlagInfo {
        code: FlagCode::RelevanceMissing,
        severity: Severity::Review,
        sections: "2024 §5",
        title: "information request or meeting without the relevance its limb requires",
        basis: Statement(&[
            "2024-s5-request-ico",
            "2024-s5-request-ofcom",
            "2024-s5-meeting-ico",
            "2024-s5-meeting-ofcom",
        ]),
        practice: "",
        check: "Was the information within the discloser's limb? Record a correction with the relevance statement, or treat it as outside the routine category.",
    },
    FlagInfo {
        code: FlagCode::PublicSourceMissing,
        severity: Severity::Review,
        sections: "local practice",
        title: "public information without a public source reference",
        basis: LocalPractice(&["2024-s5-public"]),
        practice: "The statement does not ask for a source. The regulators' policy asks for one (`requires_source` of the public-information category), so that the information can later be shown to have been public.",
        check: "Where was it published? Without a source the information cannot be shown to have been public.",
    },
    FlagInfo {
        code: FlagCode::LateRecord,
        severity: Severity::Review,
        sections: "local practice",
        title: "recorded later than the policy allows",
        basis: LocalPractice(&["2024-s6-evaluate"]),
        practice: "The statement sets no deadline for recording. The regulators' policy does (`thresholds.record_within_days`), so that the ledger is evidence of what was shared when.",
        check: "Why was the disclosure recorded late? Late records weaken the ledger as evidence of what was shared when.",
    },
    FlagInfo {
        code: FlagCode::Unacknowledged,
        severity: Severity::Review,
        sections: "local practice",
        title: "not acknowledged by the recipient within the policy's days",
        basis: LocalPractice(&["2024-s6-evaluate"]),
        practice: "The statement sets no deadline for acknowledging. The regulators' policy does (`thresholds.acknowledge_within_days`), so that both sides confirm what was received.",
        check: "Did the recipient receive the information? Ask them to acknowledge it, or record why not.",
    },
    FlagInfo {
        code: FlagCode::LateAcknowledgement,
        severity: Severity::Info,
        sections: "local practice",
        title: "acknowledged later than the policy allows",
        basis: LocalPractice(&["2024-s6-evaluate"]),
        practice: "The statement sets no deadline for acknowledging. The regulators' policy does (`thresholds.acknowledge_within_days`).",
        check: "For the effectiveness review: why was acknowledgement slow?",
    },
    FlagInfo {
        code: FlagCode::Superseded,
        severity: Severity::Info,
        sections: "record",
        title: "superseded by a correction",
        basis: Record,
        practice: "A corrected disclosure stays in the ledger as what was first recorded; the correction is judged in its place.",
        check: "Read the correction with the original: the original stays in the ledger as what was first recorded.",
    },
    FlagInfo {
        code: FlagCode::CorrectionUnacknowledged,
        severity: Severity::Review,
        sections: "record",
        title: "correction not acknowledged by the recipient",
        basis: Record,
        practice: "A correction changes what the recipient was told it received, so from entry format 2 the recipient acknowledges the correction itself.",
        check: "Ask the recipient to acknowledge the correction (`dledger ack N` with the correction's number); until then the corrected record is one-sided.",
    },
    FlagInfo {
        code: FlagCode::PartyNotInPolicy,
        severity: Severity::High,
        sections: "2024 §1, §4",
        title: "disclosing party not named in the policy in force",
        basis: Statement(&["2024-s4-intend", "2024-s1-gateways"]),
        practice: "",
        check: "Adopt a policy naming the party and its gateways before it discloses; judge this disclosure case by case.",
    },
    FlagInfo {
        code: FlagCode::RecipientNotInPolicy,
        severity: Severity::High,
        sections: "2024 §4",
        title: "recipient not a party the policy in force pairs with the discloser",
        basis: Statement(&["2024-s4-intend"]),
        practice: "",
        check: "The arrangement covers disclosures between the parties the policy names. Was there a gateway and an agreement for this recipient? Record it as a case-by-case disclosure under the right policy, or adopt a policy that names the recipient.",
    },
    FlagInfo {
        code: FlagCode::PolicyUnreadable,
        severity: Severity::High,
        sections: "record",
        title: "policy document in the ledger cannot be read",
        basis: Record,
        practice: "A policy this build cannot read judges nothing: the disclosures from its effective date are judged by the previous readable policy.",
        check: "The disclosures from this policy's effective date were judged by the previous readable policy. Adopt a corrected policy.",
    },
];

impl Serialize for FlagCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl FlagCode {
    /// Stable kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            FlagCode::NotMutualInterest => "not-mutual-interest",
            FlagCode::RoutineOutsideStatement => "routine-outside-statement",
            FlagCode::ThemeCompanyWithoutAssessment => "theme-company-without-assessment",
            FlagCode::FieldOutsideCategory => "field-outside-category",
            FlagCode::FieldOutsidePractice => "field-outside-practice",
            FlagCode::RequestContentShared => "request-content-shared",
            FlagCode::ThemeOnRequest => "theme-on-request",
            FlagCode::ThemeNotInForce => "theme-not-in-force",
            FlagCode::ThemeMissing => "theme-missing",
            FlagCode::ThemeRequiredByPolicy => "theme-required-by-policy",
            FlagCode::CompanyNamedInThemeOnly => "company-named-in-theme-only",
            FlagCode::GatewayNotAvailable => "gateway-not-available-to-party",
            FlagCode::GatewayOfOtherParty => "gateway-of-other-party",
            FlagCode::FunctionNotOfParty => "function-not-of-party",
            FlagCode::FunctionMissing => "function-missing",
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
    /// What it rests on (from the catalogue), e.g. "2024 §3, §5" or "local practice".
    pub sections: &'static str,
    /// For a local-practice flag: the effective date of the policy that adopted the practice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practice_adopted: Option<Timestamp>,
    /// One line naming the entry, companies, themes and fields concerned.
    pub message: String,
    /// Companies concerned.
    pub companies: Vec<CompanyId>,
    /// Themes concerned.
    pub themes: Vec<ThemeId>,
    /// Fields concerned.
    pub fields: Vec<FieldName>,
}

/// "local practice adopted by the regulators on D1, D2 and D3", for the effective dates of the
/// policies that adopted a practice (one or more).
pub fn local_practice_label(dates: &[String]) -> String {
    let listed = match dates {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    format!("local practice adopted by the regulators on {listed}")
}

impl Flag {
    /// What the flag rests on, for a reader: "2024 statement §3, §5", "local practice adopted
    /// by the regulators on 2024-04-01" (the policy's effective date), or "the record itself".
    pub fn basis_label(&self) -> String {
        match self.code.info().basis {
            Basis::Statement(_) => self.sections.replacen("2024", "2024 statement", 1),
            Basis::LocalPractice(_) => match self.practice_adopted {
                Some(at) => local_practice_label(&[at.london_date().to_string()]),
                None => "local practice".into(),
            },
            Basis::Record => "the record itself".into(),
        }
    }

    /// A flag with the catalogue's severity and sections.
    pub fn new(seq: Seq, at: Timestamp, code: FlagCode, message: String) -> Flag {
        let info = code.info();
        Flag {
            seq,
            at,
            code,
            severity: info.severity,
            sections: info.sections,
            practice_adopted: None,
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
    let mut out =
        String::from("| code | default severity | rests on | meaning |\n|---|---|---|---|\n");
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
            "\n### `{}`\n\n{} — default severity **{}**; {}.\n",
            i.code,
            i.title,
            i.severity.as_str(),
            i.basis_line()
        );
        if !i.practice.is_empty() {
            let _ = write!(out, "\n{}\n", i.practice);
        }
        let passages = i.passages();
        if !passages.is_empty() {
            let lead = match i.basis {
                Basis::Statement(_) => "What the statement says",
                _ => "The statement text it serves",
            };
            let _ = writeln!(out, "\n{lead}:\n");
            for r in passages {
                let _ = writeln!(out, "> {} ({}, `{}`)\n>", r.words, r.citation(), r.id);
            }
            out.pop();
            out.pop();
            out.push('\n');
        }
        let _ = write!(out, "\n**Check:** {}\n", i.check);
    }
    out
}

impl FlagInfo {
    /// The statement passages this flag names, from [`super::STATEMENT_RULES`].
    pub fn passages(&self) -> Vec<&'static super::StatementRule> {
        self.basis
            .passages()
            .iter()
            .map(|id| {
                super::statement_rule(id).expect("every passage a flag names is in the table")
            })
            .collect()
    }

    /// What the flag rests on, in a few words: "a rule of the 2024 statement §3, §5", "local
    /// practice (a rule of the regulators' own, set in the policy)" or "the record itself".
    pub fn basis_line(&self) -> String {
        match self.basis {
            Basis::Statement(_) => format!("a rule of the {}", self.sections.replace("2024", "2024 statement")),
            Basis::LocalPractice(_) => {
                "local practice (a rule of the regulators' own, set in the policy document, not of the statements)".into()
            }
            Basis::Record => "about the record itself (the ledger's record-keeping, not a rule of the statements)".into(),
        }
    }
}

#[cfg(test)]
mod code_tests {
    use super::*;

    #[test]
    fn every_flag_code_is_one_string_in_json_counts_and_explain() {
        for info in CATALOGUE {
            assert_eq!(
                serde_json::to_string(&info.code).unwrap(),
                format!("\"{}\"", info.code.code())
            );
        }
    }
}
