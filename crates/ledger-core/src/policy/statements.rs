//! The statements, rule by rule: every passage of the 2024 ICO–Ofcom joint statement and of
//! the 2022 DRCF joint statement that bears on disclosures between the regulators, in the
//! statement's own words, with how this tool treats it — enforced (the writer refuses and
//! `verify` rejects), flagged, recorded for a reviewer, or not modelled and why.
//!
//! docs/POLICY.md's "The statements, rule by rule" is generated from this table, and every
//! flag's citation in the catalogue names rows of it; a test checks that each quoted passage
//! appears verbatim in the statement texts kept in docs/sources/.

use serde::Serialize;

use super::flags::FlagCode;

/// A statement the rules come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Statement {
    /// ICO and Ofcom, joint statement on collaboration on the regulation of online services
    /// (2024): the rules of the arrangement.
    Joint2024,
    /// DRCF, "Online safety and data protection: a joint statement by Ofcom and the
    /// Information Commissioner's Office" (25 November 2022), which the 2024 statement builds on.
    Drcf2022,
}

impl Statement {
    /// A short name for citations, e.g. "2024 statement".
    pub fn short(self) -> &'static str {
        match self {
            Statement::Joint2024 => "2024 statement",
            Statement::Drcf2022 => "2022 DRCF statement",
        }
    }

    /// The statement's full title.
    pub fn title(self) -> &'static str {
        match self {
            Statement::Joint2024 => {
                "ICO and Ofcom, joint statement on collaboration on the regulation of online services (2024)"
            }
            Statement::Drcf2022 => {
                "DRCF, Online safety and data protection: a joint statement by Ofcom and the Information Commissioner's Office (25 November 2022)"
            }
        }
    }

    /// The file in docs/sources/ that holds its text.
    pub fn source_file(self) -> &'static str {
        match self {
            Statement::Joint2024 => "2024-ico-ofcom-joint-statement.txt",
            Statement::Drcf2022 => "2022-drcf-ofcom-ico-joint-statement.md",
        }
    }
}

/// How the tool treats one rule of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Treatment {
    /// The writer refuses, and `verify` rejects, an entry that breaks it: these rules of the
    /// rulebook (docs/POLICY.md, "The rulebook").
    Enforced(&'static [&'static str]),
    /// `verify` raises these flags on a disclosure that falls outside it.
    Flagged(&'static [FlagCode]),
    /// The ledger records it, in the part of an entry named, for a reviewer to judge; the tool
    /// passes no judgement of its own.
    Recorded(&'static str),
    /// Not modelled by the tool, and why.
    NotModelled(&'static str),
}

/// One rule of a statement, in its own words.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StatementRule {
    /// Stable id, e.g. `2024-s5-request-generic`.
    pub id: &'static str,
    /// The statement.
    pub statement: Statement,
    /// Its section, e.g. "§5" (2022: the heading).
    pub section: &'static str,
    /// The statement's words, verbatim.
    pub words: &'static str,
    /// How the tool treats it.
    pub treatment: &'static [Treatment],
    /// How the tool reads the passage, where the statement leaves room.
    pub reading: &'static str,
}

impl StatementRule {
    /// "2024 statement §5", for citations.
    pub fn citation(&self) -> String {
        format!("{} {}", self.statement.short(), self.section)
    }
}

use FlagCode as F;
use Statement::{Drcf2022, Joint2024};
use Treatment::{Enforced, Flagged, NotModelled, Recorded};

/// Every rule of the statements that bears on disclosures between the regulators, in
/// statement and section order.
pub const STATEMENT_RULES: &[StatementRule] = &[
    StatementRule {
        id: "2024-s1-gateways",
        statement: Joint2024,
        section: "§1",
        words: "Where relevant, any such disclosure will only be made in accordance with the disclosure gateways that apply to each of Ofcom and the ICO.",
        treatment: &[
            Flagged(&[
                F::GatewayNotAvailable,
                F::GatewayOfOtherParty,
                F::PartyNotInPolicy,
            ]),
            Recorded("disclosure gateway, or \"not engaged\" with its reason"),
        ],
        reading: "\"Where relevant\": a disclosure that engages neither s393 nor s132 (for example, public-domain information) records \"gateway not engaged\" with its reason instead of a gateway, and raises no gateway flag.",
    },
    StatementRule {
        id: "2024-s1-review",
        statement: Joint2024,
        section: "§1",
        words: "We will regularly review this approach to collaboration to ensure its continued effectiveness.",
        treatment: &[Recorded("the whole ledger, summarised by `dledger review`")],
        reading: "",
    },
    StatementRule {
        id: "2024-s2-identify-themes",
        statement: Joint2024,
        section: "§2",
        words: "To improve collaboration on issues of common interest, Ofcom and ICO colleagues will identify and continuously monitor the emergence of ‘Collaboration Themes’.",
        treatment: &[Enforced(&["confirm-by-bound-party", "confirm-target"])],
        reading: "The regulators identify themes together: from entry format 2 a theme is declared or retired by one party's proposal and the other's confirmation, in force from the confirmed date. A theme declared by one party alone in a format 1 ledger stays valid, as recorded then.",
    },
    StatementRule {
        id: "2024-s2-theme-definition",
        statement: Joint2024,
        section: "§2",
        words: "Collaboration Themes are issues of common interest to both the ICO and Ofcom because of their thematic and substantive relevance to the online safety and data protection regimes.",
        treatment: &[Recorded("theme declarations (id, title, effective date)")],
        reading: "",
    },
    StatementRule {
        id: "2024-s2-themes-change",
        statement: Joint2024,
        section: "§2",
        words: "These Collaboration Themes will be periodically reviewed and may change as new priorities emerge and in response to any future legislative changes.",
        treatment: &[
            Recorded("theme declarations and retirements, each with its effective date"),
            Flagged(&[F::ThemeNotInForce]),
        ],
        reading: "A disclosure is judged by the themes in force on its disclosure date. A theme not (or no longer) in force is flagged for review, not refused: the themes are illustrative and will be added to over time.",
    },
    StatementRule {
        id: "2024-s2-illustrative",
        statement: Joint2024,
        section: "§2",
        words: "Note: its is envisaged these themes will evolve over time.",
        treatment: &[Flagged(&[F::ThemeNotInForce])],
        reading: "The box of themes is illustrative: the default policy lists none of its own, and from entry format 2 a disclosure may name a theme the ledger has not declared (flagged for review, since it is not yet a Collaboration Theme both regulators identified). Format 1 refused it, and old ledgers are judged as recorded.",
    },
    StatementRule {
        id: "2024-s3-consider",
        statement: Joint2024,
        section: "§3",
        words: "To identify opportunities for more effective joint regulatory collaboration, our colleagues responsible for supervising online services will consider whether regulated entities are ‘companies of mutual interest’.",
        treatment: &[Enforced(&["designation-pair", "confirm-by-bound-party"])],
        reading: "",
    },
    StatementRule {
        id: "2024-s3-definition",
        statement: Joint2024,
        section: "§3",
        words: "These are companies, or services, that are subject to both the online safety and data protection regimes, and of current regulatory interest to both the ICO and Ofcom (due to potential intersections between online safety and data protection compliance).",
        treatment: &[Enforced(&["designation-pair", "confirm-by-bound-party"])],
        reading: "A company is of mutual interest to a pair of regulators from the effective date one of them proposed and the other confirmed, until either ends it. Only the pair decides: a third party of a wider policy cannot make a company of mutual interest to two others.",
    },
    StatementRule {
        id: "2024-s3-one-regulator",
        statement: Joint2024,
        section: "§3",
        words: "If a company is of interest to one regulator only, this will not be considered a company of mutual interest.",
        treatment: &[
            Enforced(&["confirm-by-bound-party"]),
            Flagged(&[F::NotMutualInterest, F::ThemeCompanyWithoutAssessment]),
        ],
        reading: "A proposal not yet confirmed by the other regulator makes no company of mutual interest.",
    },
    StatementRule {
        id: "2024-s4-intend",
        statement: Joint2024,
        section: "§4",
        words: "We set out in this statement our proposed approach to collaboration, including the information that Ofcom and the ICO intend to disclose to each other.",
        treatment: &[Flagged(&[
            F::PartyNotInPolicy,
            F::RecipientNotInPolicy,
            F::RoutineOutsideStatement,
        ])],
        reading: "The arrangement covers disclosures between the parties the policy in force names, to each other.",
    },
    StatementRule {
        id: "2024-s4-limited",
        statement: Joint2024,
        section: "§4",
        words: "As described below, in some instances this will comprise the disclosure of a limited amount of information held by Ofcom and the ICO relating to services (e.g., the company name and the Collaboration Theme associated with that company).",
        treatment: &[Flagged(&[F::FieldOutsideCategory, F::FieldOutsidePractice])],
        reading: "",
    },
    StatementRule {
        id: "2024-s4-s393",
        statement: Joint2024,
        section: "§4",
        words: "For Ofcom – section 393 of the Communications Act 2003 prohibits the disclosure of certain information about a business without consent unless a statutory gateway applies.",
        treatment: &[
            Flagged(&[F::GatewayNotAvailable, F::GatewayOfOtherParty]),
            Recorded("disclosure gateway (a statutory gateway, or consent)"),
        ],
        reading: "",
    },
    StatementRule {
        id: "2024-s4-s393-functions",
        statement: Joint2024,
        section: "§4",
        words: "One such gateway is where disclosure is made for the purpose of facilitating the carrying out by Ofcom of any of its functions;",
        treatment: &[
            Recorded("disclosure legal basis: the function served"),
            Flagged(&[F::FunctionNotOfParty, F::FunctionMissing]),
        ],
        reading: "",
    },
    StatementRule {
        id: "2024-s4-s132",
        statement: Joint2024,
        section: "§4",
        words: "For the ICO – section 132 of the Data Protection Act 2018 prohibits the disclosure of confidential information about an individual or business unless the disclosure is made with lawful authority.",
        treatment: &[
            Flagged(&[F::GatewayNotAvailable, F::GatewayOfOtherParty]),
            Recorded("disclosure gateway (a limb of s132(2), or consent)"),
        ],
        reading: "",
    },
    StatementRule {
        id: "2024-s4-s132-functions",
        statement: Joint2024,
        section: "§4",
        words: "Lawful authority is defined in s132(2) and includes where the disclosure is made for the purposes of, and is necessary for, the discharge of one or more of the Information Commissioner’s functions",
        treatment: &[
            Recorded(
                "disclosure legal basis: the function served and why the disclosure is necessary",
            ),
            Flagged(&[F::FunctionNotOfParty, F::FunctionMissing]),
        ],
        reading: "",
    },
    StatementRule {
        id: "2024-s4-s132-other",
        statement: Joint2024,
        section: "§4",
        words: "There are other grounds in s132(2) which may be applicable in a particular case.",
        treatment: &[Recorded(
            "disclosure gateway: any limb of s132(2) the policy lists for the ICO",
        )],
        reading: "",
    },
    StatementRule {
        id: "2024-s4-engaged",
        statement: Joint2024,
        section: "§4",
        words: "To the extent that section 393 and section 132 are engaged by the disclosure of any service information, each of Ofcom and the ICO considers that the approach we have set out is consistent with the provisions that apply to them.",
        treatment: &[Recorded(
            "disclosure gateway, or \"not engaged\" with its reason",
        )],
        reading: "",
    },
    StatementRule {
        id: "2024-s4-functions",
        statement: Joint2024,
        section: "§4",
        words: "Ofcom and the ICO have functions under the Online Safety Act 2023, and Articles 57 and 58 of the UK GDPR and sections 115-116 of the Data Protection Act 2018 respectively.",
        treatment: &[
            Recorded(
                "disclosure legal basis: the function served, from the party's list in the policy",
            ),
            Flagged(&[F::FunctionNotOfParty]),
        ],
        reading: "Each party's functions are listed in the policy (policy schema 2); a disclosure that names a function of another party is flagged.",
    },
    StatementRule {
        id: "2024-s4-necessary",
        statement: Joint2024,
        section: "§4",
        words: "Given the cross-cutting nature of online safety and data protection we consider that it is necessary to engage in the joint collaboration and engagement set out in this document, including the information sharing described, to exercise our functions.",
        treatment: &[Recorded(
            "disclosure legal basis: an optional necessity statement",
        )],
        reading: "The statement itself records why routine sharing is necessary; a routine disclosure need not repeat it. A case-by-case disclosure records its own function (flagged if missing) and may record why it was necessary.",
    },
    StatementRule {
        id: "2024-s4-no-notification",
        statement: Joint2024,
        section: "§4",
        words: "We expect to make the type of disclosure referred to in this statement without prior notification to the relevant service whose information is to be disclosed.",
        treatment: &[Recorded(
            "disclosure notification (given, or skipped with an optional reason)",
        )],
        reading: "Skipping notification of a routine disclosure is what the statement expects: it raises no flag and needs no reason. `dledger review` counts it apart from case-by-case disclosures.",
    },
    StatementRule {
        id: "2024-s4-beyond",
        statement: Joint2024,
        section: "§4",
        words: "It may also be necessary in certain circumstances for Ofcom and the ICO to share information beyond that described in this statement where this is permitted under the respective information sharing gateways.",
        treatment: &[Recorded("the case-by-case category, with its assessment")],
        reading: "",
    },
    StatementRule {
        id: "2024-s4-case-by-case",
        statement: Joint2024,
        section: "§4",
        words: "The extent of disclosure and the applicable process will be considered on a case-by-case basis.",
        treatment: &[
            Flagged(&[F::CaseByCaseWithoutAssessment, F::FunctionMissing]),
            Recorded(
                "the assessment's reference, approver, outcome and reasoning summary; a refusal to disclose",
            ),
        ],
        reading: "",
    },
    StatementRule {
        id: "2024-s4-case-notification",
        statement: Joint2024,
        section: "§4",
        words: "There may be occasions where such information is disclosed without prior notification to the relevant service.",
        treatment: &[Flagged(&[F::NotificationSkippedNonRoutine])],
        reading: "Allowed, but for review: a case-by-case disclosure made without notifying the service is flagged for review with the reason recorded.",
    },
    StatementRule {
        id: "2024-s5-adapt",
        statement: Joint2024,
        section: "§5",
        words: "Our teams will adapt approaches to collaboration depending on the extent to which Collaboration Themes are present in our supervision of companies of mutual interest.",
        treatment: &[NotModelled(
            "It describes how the teams work, not what may be disclosed.",
        )],
        reading: "",
    },
    StatementRule {
        id: "2024-s5-routine",
        statement: Joint2024,
        section: "§5",
        words: "Where information concerns a company of mutual interest and it is of one of the specific types listed below, ICO and Ofcom colleagues will routinely share information as follows:",
        treatment: &[Flagged(&[F::NotMutualInterest, F::RoutineOutsideStatement])],
        reading: "Every company a routine information-request, meeting or public-information disclosure names must be of mutual interest to the two parties on the disclosure date. Routine sharing is between \"ICO and Ofcom colleagues\": a party of a wider policy that is party to neither statement (the CMA example) is case by case only.",
    },
    StatementRule {
        id: "2024-s5-request-ico",
        statement: Joint2024,
        section: "§5",
        words: "the ICO may share generic information about information requests, including Information Notices, that concern matters of potential intersection between online safety and data protection.",
        treatment: &[
            Recorded("disclosure relevance: the limb relied on"),
            Flagged(&[F::RelevanceMissing]),
        ],
        reading: "",
    },
    StatementRule {
        id: "2024-s5-request-ofcom",
        statement: Joint2024,
        section: "§5",
        words: "Ofcom may share generic information about information requests, including Information Notices, that are relevant to online safety.",
        treatment: &[
            Recorded("disclosure relevance: the limb relied on"),
            Flagged(&[F::RelevanceMissing]),
        ],
        reading: "",
    },
    StatementRule {
        id: "2024-s5-request-generic",
        statement: Joint2024,
        section: "§5",
        words: "For both regulators generic information includes the date of the request, expected response time/deadline, and the company name or names.",
        treatment: &[Flagged(&[F::FieldOutsideCategory, F::ThemeOnRequest])],
        reading: "The default policy allows `request_date`, `response_deadline`, `company_names` and `information_notice` (the statement names Information Notices as requests). A Collaboration Theme is not among these, so a theme attached to an information request is flagged.",
    },
    StatementRule {
        id: "2024-s5-request-content",
        statement: Joint2024,
        section: "§5",
        words: "It does not include information about the content of the request.",
        treatment: &[Flagged(&[F::RequestContentShared])],
        reading: "",
    },
    StatementRule {
        id: "2024-s5-meeting-ico",
        statement: Joint2024,
        section: "§5",
        words: "Stakeholder meeting information related to online safety matters – the ICO may share information that concerns matters of potential intersection between online safety and data protection.",
        treatment: &[
            Recorded("disclosure relevance: the limb relied on"),
            Flagged(&[F::RelevanceMissing]),
        ],
        reading: "",
    },
    StatementRule {
        id: "2024-s5-meeting-ofcom",
        statement: Joint2024,
        section: "§5",
        words: "Ofcom may share information that is relevant to online safety.",
        treatment: &[
            Recorded("disclosure relevance: the limb relied on"),
            Flagged(&[F::RelevanceMissing]),
        ],
        reading: "",
    },
    StatementRule {
        id: "2024-s5-meeting-limited",
        statement: Joint2024,
        section: "§5",
        words: "For both regulators the information that can be routinely shared is limited to dates of meetings, any relevant Collaboration Theme(s) and the names of the company or companies.",
        treatment: &[Flagged(&[F::FieldOutsideCategory])],
        reading: "\"Any relevant\" theme: a meeting may name themes but need not (policy schema 1 required one; old ledgers are judged by the policy they recorded).",
    },
    StatementRule {
        id: "2024-s5-public",
        statement: Joint2024,
        section: "§5",
        words: "Publicly available information which may be of interest to the other regulator e.g., information about a company that is currently of mutual interest that has been reported in the press.",
        treatment: &[
            Flagged(&[F::NotMutualInterest]),
            Recorded("the public source reference, where given"),
        ],
        reading: "The statement lists no fields for public information: the default policy's field list and its request for a source reference are local practice (flags `field-outside-practice`, `public-source-missing`).",
    },
    StatementRule {
        id: "2024-s5-theme-only",
        statement: Joint2024,
        section: "§5",
        words: "Where information concerns a Collaboration Theme without a specific company being identified, this information can be shared between ICO and Ofcom colleagues.",
        treatment: &[Flagged(&[F::CompanyNamedInThemeOnly, F::ThemeMissing])],
        reading: "A theme-only disclosure names a theme and identifies no company, by field name or (where the values are known) by a company's registered name or id in any disguise.",
    },
    StatementRule {
        id: "2024-s5-theme-company",
        statement: Joint2024,
        section: "§5",
        words: "Where information concerns a Collaboration Theme and a specific company of mutual interest, ICO and Ofcom colleagues can share the name of the company and the theme.",
        treatment: &[Flagged(&[F::ThemeMissing, F::FieldOutsidePractice])],
        reading: "The statement's own example (\"The ICO has a meeting next week with company B about child user default privacy settings\") says more than the name and the theme, so the default policy's field list for this category is local practice, flagged for review.",
    },
    StatementRule {
        id: "2024-s5-theme-company-not-mutual",
        statement: Joint2024,
        section: "§5",
        words: "Where information concerns a Collaboration Theme and a specific company which is not a company of mutual interest, this information would not be routinely shared but will be subject to a case-by-case assessment.",
        treatment: &[Flagged(&[
            F::ThemeCompanyWithoutAssessment,
            F::CaseByCaseWithoutAssessment,
        ])],
        reading: "",
    },
    StatementRule {
        id: "2024-s5-other-sharing",
        statement: Joint2024,
        section: "§5",
        words: "NB Where other and / or more detailed information sharing is required in order for each regulator to undertake its functions (Ofcom and the ICO), or in the public interest (ICO), nothing within the new ways of working will prevent such sharing from taking place in line with each regulator’s legislative framework.",
        treatment: &[Recorded(
            "the case-by-case category, with its gateway, function and assessment",
        )],
        reading: "",
    },
    StatementRule {
        id: "2024-s6-evaluate",
        statement: Joint2024,
        section: "§6",
        words: "We will periodically evaluate the effectiveness of these methods and identify opportunities to improve them.",
        treatment: &[Recorded(
            "the whole ledger; `dledger review` reports the measures, and flag dispositions record what was done about each flag",
        )],
        reading: "The statement sets no deadlines. The recording and acknowledgement deadlines the tool checks are local practice, set in the policy document.",
    },
    StatementRule {
        id: "2024-s6-meetings",
        statement: Joint2024,
        section: "§6",
        words: "ICO and Ofcom colleagues will discuss at their regular meetings whether there are any Collaboration Themes, companies of mutual interest and opportunities for regulatory collaboration.",
        treatment: &[Recorded(
            "theme and company registers, as joint acts of the parties",
        )],
        reading: "",
    },
    StatementRule {
        id: "2024-s6-themes-added",
        statement: Joint2024,
        section: "§6",
        words: "As noted above, our Collaboration Themes will be added to over time.",
        treatment: &[Recorded("theme declarations, each with its effective date")],
        reading: "",
    },
    StatementRule {
        id: "2024-s6-inform",
        statement: Joint2024,
        section: "§6",
        words: "We will regularly inform stakeholders about updates to our joint ways of working, to provide clarity regarding our collaboration methods, as appropriate.",
        treatment: &[NotModelled(
            "Informing stakeholders happens outside the ledger; a policy adoption records the rules in force from its effective date.",
        )],
        reading: "",
    },
    StatementRule {
        id: "2022-mou",
        statement: Drcf2022,
        section: "§3 (Working together)",
        words: "The MOU sets out the roles and functions of each regulator, our powers and duties, the principles of cooperation and the purposes and the legal bases for sharing information with one another.",
        treatment: &[Recorded(
            "disclosure legal basis: the agreement (statement or MOU version) relied on",
        )],
        reading: "",
    },
    StatementRule {
        id: "2022-mou-review",
        statement: Drcf2022,
        section: "§3 (Working together)",
        words: "We will review the MOU in the coming year in light of Ofcom's new responsibilities under the Online Safety Bill.",
        treatment: &[Recorded(
            "disclosure legal basis: the agreement version relied on; policy adoptions",
        )],
        reading: "Which agreement a disclosure relied on is recorded with it, so a disclosure made under an older MOU can be told from one made under a newer.",
    },
    StatementRule {
        id: "2022-share-compliance",
        statement: Drcf2022,
        section: "Executive summary",
        words: "We will take action against services that don't meet their obligations, sharing information and intelligence as appropriate and coordinating approaches to compliance and enforcement.",
        treatment: &[Recorded(
            "the case-by-case category, with its gateway, function and assessment",
        )],
        reading: "",
    },
    StatementRule {
        id: "2022-share-supervisory",
        statement: Drcf2022,
        section: "Conclusion",
        words: "share information on supervisory and enforcement action where appropriate, to reduce the regulatory burden on firms.",
        treatment: &[Recorded(
            "the case-by-case category, with its gateway, function and assessment",
        )],
        reading: "",
    },
];

/// The rule with this id.
pub fn statement_rule(id: &str) -> Option<&'static StatementRule> {
    STATEMENT_RULES.iter().find(|r| r.id == id)
}

/// The text of a statement normalised for comparing quotations: runs of white space become one
/// space, and a hyphen at a line break joins the two halves ("case-by-\ncase" → "case-by-case").
pub fn normalise_quotation(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut space, mut line_break) = (false, false);
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            line_break |= c == '\n';
            continue;
        }
        if space && !out.is_empty() {
            let hyphenated = line_break && out.ends_with('-') && !out.ends_with(" -");
            if !hyphenated {
                out.push(' ');
            }
        }
        (space, line_break) = (false, false);
        out.push(c);
    }
    out
}

/// The table as Markdown, for docs/POLICY.md (a test keeps the two identical).
pub fn statements_markdown() -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for r in STATEMENT_RULES {
        let treatment: Vec<String> = r.treatment.iter().map(treatment_text).collect();
        let _ = write!(
            out,
            "\n#### `{}` — {} {}\n\n> {}\n\n{}\n",
            r.id,
            r.statement.short(),
            r.section,
            r.words,
            treatment.join("; ")
        );
        if !r.reading.is_empty() {
            let _ = writeln!(out, "\n*How the tool reads it:* {}", r.reading);
        }
    }
    out
}

/// One treatment in words.
pub fn treatment_text(t: &Treatment) -> String {
    match t {
        Enforced(rules) => format!("**Enforced** (rulebook: {})", code_list(rules.iter())),
        Flagged(codes) => format!("**Flagged** ({})", code_list(codes.iter())),
        Recorded(what) => format!("**Recorded**: {what}"),
        NotModelled(why) => format!("**Not modelled**: {why}"),
    }
}

/// Codes as Markdown code spans, comma-separated.
fn code_list<T: std::fmt::Display>(codes: impl Iterator<Item = T>) -> String {
    codes
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
