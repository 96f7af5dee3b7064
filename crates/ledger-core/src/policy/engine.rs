//! Judges disclosures against the policy in force when each was made, and raises flags.

use std::collections::HashMap;
use std::sync::Arc;

use crate::hash::sha256;
use crate::model::{
    Category, CategoryKind, Disclosure, Gateway, Notification, PolicyDocument, Relevance, Seq,
    Timestamp,
};
use crate::registers::Registers;

use super::document::{Policy, PolicyError};
use super::flags::{Basis, Flag, FlagCode};

const DAY: i64 = 86_400;

/// The policies that may be in force at `at`, in the order they are tried: the latest adopted
/// whose effective date is not after `at` first, then older ones, then the first policy (in
/// force from the start if none is yet effective). The first readable one applies.
fn candidates(reg: &Registers, at: Timestamp) -> impl Iterator<Item = &PolicyDocument> {
    reg.policies
        .iter()
        .rev()
        .map(|(_, p)| p)
        .filter(move |p| p.effective_from <= at)
        .chain(reg.policies.first().map(|(_, p)| p))
}

/// Flags raised on one disclosure, each message prefixed with what it is about.
struct Raised<'d> {
    seq: Seq,
    at: Timestamp,
    disclosure: &'d Disclosure,
    flags: Vec<Flag>,
}

impl Raised<'_> {
    fn add(&mut self, code: FlagCode, detail: String) -> &mut Flag {
        // The description is built only when a flag is raised: most disclosures raise none.
        let d = self.disclosure;
        let what = format!(
            "{} {}→{} {} on {}",
            self.seq,
            d.from,
            d.to,
            d.category.kind(),
            d.disclosed_at.london_date()
        );
        self.flags.push(Flag::new(
            self.seq,
            self.at,
            code,
            format!("{what}: {detail}"),
        ));
        self.flags.last_mut().expect("just pushed")
    }
}

/// Formats as the London date of an instant, computing it only when formatted.
#[derive(Clone, Copy)]
struct LazyDate(Timestamp);

impl std::fmt::Display for LazyDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.london_date())
    }
}

/// Judges disclosures; caches parsed policies by document hash.
#[derive(Debug, Default)]
pub struct PolicyEngine {
    parsed: HashMap<[u8; 32], Result<Arc<Policy>, PolicyError>>,
    /// The register's company names, folded once (see `names`).
    companies: super::names::CompanyForms,
}

/// A field's value, when the vault still holds it (used to spot company names).
pub type FieldValues<'a> = &'a [(String, String)];

impl PolicyEngine {
    /// An engine with an empty cache.
    pub fn new() -> PolicyEngine {
        PolicyEngine::default()
    }

    fn parse(&mut self, doc: &PolicyDocument) -> Result<Arc<Policy>, PolicyError> {
        // Keyed by the recorded hash (checked against the text by `verify`'s rules); a
        // document whose hash does not match is parsed under its own text's hash.
        let key = if self.parsed.contains_key(&doc.sha256) {
            doc.sha256
        } else {
            sha256(doc.text.as_bytes())
        };
        self.parsed
            .entry(key)
            .or_insert_with(|| Policy::parse(&doc.text).map(Arc::new))
            .clone()
    }

    /// Flags a policy-adopted (or genesis) entry whose document cannot be read.
    pub fn judge_policy_entry(
        &mut self,
        seq: Seq,
        recorded_at: Timestamp,
        doc: &PolicyDocument,
    ) -> Option<Flag> {
        self.parse(doc).err().map(|e| {
            Flag::new(
                seq,
                recorded_at,
                FlagCode::PolicyUnreadable,
                format!("policy {:?} cannot be read: {e}", doc.label),
            )
        })
    }

    /// The readable policy in force at `at`: the latest adopted, effective on or before `at`
    /// (the first policy if none is yet effective).
    pub fn policy_at(&mut self, reg: &Registers, at: Timestamp) -> Option<Arc<Policy>> {
        self.policy_in_force(reg, at).map(|(_, p)| p)
    }

    /// [`PolicyEngine::policy_at`], with the document it was read from (its label and the
    /// date it took effect).
    pub fn policy_in_force<'r>(
        &mut self,
        reg: &'r Registers,
        at: Timestamp,
    ) -> Option<(&'r PolicyDocument, Arc<Policy>)> {
        candidates(reg, at).find_map(|doc| self.parse(doc).ok().map(|p| (doc, p)))
    }

    /// [`PolicyEngine::policy_at`] from the cache alone, without parsing: `None` if a policy it
    /// would need has not been parsed yet (then call `policy_at`). Lets many threads share an
    /// engine behind a read lock.
    pub fn cached_policy_at(&self, reg: &Registers, at: Timestamp) -> Option<Option<Arc<Policy>>> {
        for doc in candidates(reg, at) {
            match self.parsed.get(&doc.sha256)? {
                Ok(p) => return Some(Some(Arc::clone(p))),
                Err(_) => continue,
            }
        }
        Some(None)
    }

    /// Judges the disclosure recorded as entry `seq` at `recorded_at` in entry format `format`,
    /// against the registers and the policy in force on its disclosure date. `values` are the
    /// field values, if known.
    #[allow(clippy::too_many_arguments)]
    pub fn judge(
        &mut self,
        seq: Seq,
        recorded_at: Timestamp,
        format: u16,
        d: &Disclosure,
        reg: &Registers,
        values: Option<FieldValues<'_>>,
    ) -> Vec<Flag> {
        let Some((doc, policy)) = self.policy_in_force(reg, d.disclosed_at) else {
            return Vec::new();
        };
        let adopted = doc.effective_from;
        let kind = d.category.kind();
        let date = LazyDate(d.disclosed_at);
        let mut raised = Raised {
            seq,
            at: d.disclosed_at,
            disclosure: d,
            flags: Vec::new(),
        };

        // Gateway (§4).
        match policy.parties.get(&d.from) {
            None => {
                raised.add(
                    FlagCode::PartyNotInPolicy,
                    format!("{} is not named in policy {:?}", d.from, policy.label),
                );
            }
            Some(party) => match &d.gateway {
                Gateway::Statutory(c) => {
                    if !party.gateways.iter().any(|g| c.is_within(g)) {
                        let other = policy
                            .parties
                            .values()
                            .find(|p| p.id != d.from && c.is_within(&p.statute));
                        match other {
                            Some(o) => raised.add(
                                FlagCode::GatewayOfOtherParty,
                                format!("{} cites {c}, which is {}'s statute", d.from, o.id),
                            ),
                            None => raised.add(
                                FlagCode::GatewayNotAvailable,
                                format!("{c} is not a gateway {} can rely on", d.from),
                            ),
                        };
                    }
                }
                Gateway::Consent { .. } if !party.consent => {
                    raised.add(
                        FlagCode::GatewayNotAvailable,
                        format!("consent is not a gateway {} can rely on", d.from),
                    );
                }
                Gateway::Consent { .. } => {}
                Gateway::Other { citation } => {
                    raised.add(
                        FlagCode::GatewayNotAvailable,
                        format!("\"other: {citation}\" is not among {}'s gateways", d.from),
                    );
                }
                // No gateway is needed where none is engaged (e.g. public-domain information);
                // the reason is on the record for a reviewer.
                Gateway::NotEngaged { .. } => {}
            },
        }

        // Both ends (§4): a disclosure goes to a party the policy pairs with the discloser.
        // Under policy schema 1 every two parties a policy names are a pair.
        if policy.parties.contains_key(&d.from) && !policy.parties.contains_key(&d.to) {
            raised.add(
                FlagCode::RecipientNotInPolicy,
                format!(
                    "{} is not a party of policy {:?}, so it is not paired with {}",
                    d.to, policy.label, d.from
                ),
            );
        }

        // The function served (§4): one of the discloser's own, and named by a case-by-case
        // disclosure. Format 1 recorded no legal basis, and schema 1 policies list no functions:
        // such disclosures are judged as they were.
        if format >= 2 {
            judge_function(&policy, d, &mut raised);
        }

        let rule = policy.category(kind);
        // Routine sharing is between the statement's parties (§5): a party of a wider policy
        // that is party to neither statement discloses and receives case by case only.
        if rule.routine {
            for end in [&d.from, &d.to] {
                if policy.parties.get(end).is_some_and(|p| !p.routine) {
                    raised.add(
                        FlagCode::RoutineOutsideStatement,
                        format!(
                            "{end} takes no part in the statement's routine sharing (policy {:?}): a {kind} with it needs a case-by-case assessment",
                            policy.label
                        ),
                    );
                }
            }
        }
        // Companies of mutual interest (§3, §5).
        if rule.requires_mutual_interest {
            for c in d.category.companies() {
                if !reg.is_mutual(&c.id, &d.from, &d.to, d.disclosed_at) {
                    let code = if kind == CategoryKind::ThemeAndCompany {
                        FlagCode::ThemeCompanyWithoutAssessment
                    } else {
                        FlagCode::NotMutualInterest
                    };
                    raised
                        .add(
                            code,
                            format!("{} ({}) was not of mutual interest on {date}", c.name, c.id),
                        )
                        .companies
                        .push(c.id.clone());
                }
            }
        }
        // Themes (§2, §5, §6): a theme is a Collaboration Theme on a date if both regulators
        // had identified it and not retired it; themes will be added to over time, so one not
        // (yet) in force is for review, not refused.
        for t in d.category.themes() {
            if !reg.theme_in_force(t, d.disclosed_at) {
                let detail = if reg.themes.contains_key(t) {
                    format!("theme {t} was not in force on {date}")
                } else {
                    format!(
                        "theme {t} has not been declared in this ledger, so it was not a Collaboration Theme both regulators had identified on {date}"
                    )
                };
                raised
                    .add(FlagCode::ThemeNotInForce, detail)
                    .themes
                    .push(t.clone());
            }
        }
        if d.category.themes().is_empty() {
            if matches!(
                kind,
                CategoryKind::ThemeOnly | CategoryKind::ThemeAndCompany
            ) {
                raised.add(
                    FlagCode::ThemeMissing,
                    format!("a {kind} disclosure names no theme"),
                );
            } else if rule.requires_theme {
                raised.add(
                    FlagCode::ThemeRequiredByPolicy,
                    format!(
                        "a {kind} disclosure names no theme, which policy {:?} asks for",
                        policy.label
                    ),
                );
            }
        }
        // Generic information about a request is its date, deadline and company names (§5).
        if kind == CategoryKind::InformationRequest {
            for t in d.category.themes() {
                raised
                    .add(
                        FlagCode::ThemeOnRequest,
                        format!("theme {t} is attached to an information request"),
                    )
                    .themes
                    .push(t.clone());
            }
        }
        // Fields (§5).
        if let Some(allowed) = &rule.allowed_fields {
            for f in &d.fields {
                if allowed.contains(&f.name) {
                    continue;
                }
                let content =
                    kind == CategoryKind::InformationRequest && f.name.as_str().contains("content");
                let (code, detail) = if content {
                    (
                        FlagCode::RequestContentShared,
                        format!("field {} shares the content of the request", f.name),
                    )
                } else if !statement_lists_fields(kind) {
                    (
                        FlagCode::FieldOutsidePractice,
                        format!(
                            "field {} is not among the fields policy {:?} allows a {kind}",
                            f.name, policy.label
                        ),
                    )
                } else {
                    (
                        FlagCode::FieldOutsideCategory,
                        format!(
                            "field {} is not among the fields a {kind} may share",
                            f.name
                        ),
                    )
                };
                raised.add(code, detail).fields.push(f.name.clone());
            }
        }
        if kind == CategoryKind::ThemeOnly {
            let by_name = d
                .fields
                .iter()
                .filter(|f| f.name.as_str().contains("company"));
            for f in by_name {
                raised
                    .add(
                        FlagCode::CompanyNamedInThemeOnly,
                        format!("field {} names a company", f.name),
                    )
                    .fields
                    .push(f.name.clone());
            }
            for (name, value) in values.unwrap_or_default() {
                if name.contains("company") {
                    continue; // already flagged by its name
                }
                // Folded (Unicode-normalised, look-alikes mapped, punctuation dropped) so that
                // a disguised name is seen as well as a plain one: see `names`.
                if let Some((id, company)) = self.companies.named_in(value, reg) {
                    let f = raised.add(
                        FlagCode::CompanyNamedInThemeOnly,
                        format!("field {name} names {company} ({id})"),
                    );
                    f.companies.push(id.clone());
                }
            }
        }
        // Case-by-case (§4, §5).
        if rule.requires_assessment
            && matches!(
                d.category,
                Category::CaseByCase {
                    assessment: None,
                    ..
                }
            )
        {
            raised.add(
                FlagCode::CaseByCaseWithoutAssessment,
                "no assessment reference or approver was recorded".into(),
            );
        }
        // Routine disclosures are expected without prior notification (§4): no flag, and no
        // reason needed. A case-by-case one skipped is for review.
        if !rule.routine
            && let Notification::Skipped { reason } = &d.notification
        {
            let detail = if reason.trim().is_empty() {
                "the service was not notified, and no reason was recorded".to_owned()
            } else {
                format!("the service was not notified (reason given: {reason})")
            };
            raised.add(FlagCode::NotificationSkippedNonRoutine, detail);
        }
        // Relevance to the discloser's limb (§5).
        if rule.requires_relevance
            && let Some(required) = policy
                .parties
                .get(&d.from)
                .and_then(|p| p.relevance.as_ref())
            && let Some(detail) = relevance_problem(format, d, required)
        {
            raised.add(FlagCode::RelevanceMissing, detail);
        }
        if rule.requires_source
            && matches!(d.category, Category::PublicInformation { source: None, .. })
        {
            raised.add(
                FlagCode::PublicSourceMissing,
                "no public source reference was recorded".into(),
            );
        }
        // Timeliness (§6 thresholds).
        let days = i64::from(policy.thresholds.record_within_days);
        let delay = d.disclosed_at.seconds_until(recorded_at);
        if delay > days * DAY {
            raised.add(
                FlagCode::LateRecord,
                format!(
                    "recorded {} days after it was made (policy allows {days})",
                    delay / DAY
                ),
            );
        }
        weigh(&mut raised.flags, &policy, adopted);
        raised.flags
    }

    /// Flags that depend on what came later: acknowledgements (judged as of `as_of`) and
    /// corrections. In sequence order.
    pub fn finish(&mut self, reg: &Registers, as_of: Timestamp) -> Vec<Flag> {
        let mut out = Vec::new();
        for (seq, d) in reg.disclosures.iter() {
            let what = format!(
                "{seq} {}→{} on {}",
                d.from,
                d.to,
                d.disclosed_at.london_date()
            );
            // A format 2 correction's replacement needs the recipient's acknowledgement of its
            // own, at once: until then the corrected record is one-sided.
            if let Some(old) = d.replaces {
                if d.acknowledged.is_none() {
                    out.push(Flag::new(
                        seq,
                        d.disclosed_at,
                        FlagCode::CorrectionUnacknowledged,
                        format!(
                            "correction {seq} of {old} ({}→{}): not acknowledged by {}",
                            d.from, d.to, d.to
                        ),
                    ));
                }
            } else if let Some((doc, policy)) = self.policy_in_force(reg, d.disclosed_at) {
                let adopted = doc.effective_from;
                let from = out.len();
                let days = i64::from(policy.thresholds.acknowledge_within_days);
                match d.acknowledged {
                    Some((ack, at)) => {
                        let delay = d.recorded_at.seconds_until(at);
                        if delay > days * DAY {
                            out.push(Flag::new(
                                seq,
                                d.disclosed_at,
                                FlagCode::LateAcknowledgement,
                                format!(
                                    "{what}: acknowledged by {} at {ack}, {} days after recording (policy allows {days})",
                                    d.to,
                                    delay / DAY
                                ),
                            ));
                        }
                    }
                    None => {
                        let waiting = d.recorded_at.seconds_until(as_of);
                        if waiting > days * DAY {
                            out.push(Flag::new(
                                seq,
                                d.disclosed_at,
                                FlagCode::Unacknowledged,
                                format!(
                                    "{what}: not acknowledged by {} after {} days (policy allows {days})",
                                    d.to,
                                    waiting / DAY
                                ),
                            ));
                        }
                    }
                }
                weigh(&mut out[from..], &policy, adopted);
            }
            if !d.corrected_by.is_empty() {
                let by: Vec<String> = d.corrected_by.iter().map(|c| c.to_string()).collect();
                out.push(Flag::new(
                    seq,
                    d.disclosed_at,
                    FlagCode::Superseded,
                    format!("{what}: superseded by correction {}", by.join(", ")),
                ));
            }
        }
        out
    }
}

/// Whether the statement itself lists the fields a category may share (§5: information
/// requests and stakeholder meetings); for the other categories the list is local practice.
fn statement_lists_fields(kind: CategoryKind) -> bool {
    matches!(
        kind,
        CategoryKind::InformationRequest | CategoryKind::StakeholderMeeting
    )
}

/// Gives local-practice flags the severity the policy in force sets and the date it took
/// effect ("local practice adopted by the regulators on …").
fn weigh(flags: &mut [Flag], policy: &Policy, adopted: Timestamp) {
    for f in flags {
        if matches!(f.code.info().basis, Basis::LocalPractice(_)) {
            f.severity = policy.severity(f.code);
            f.practice_adopted = Some(adopted);
        }
    }
}

/// The function a format 2 disclosure serves (§4): flagged if it is not one of the discloser's
/// own (when the policy lists functions), or if a case-by-case disclosure names none.
fn judge_function(policy: &Policy, d: &Disclosure, raised: &mut Raised<'_>) {
    let Some(party) = policy.parties.get(&d.from) else {
        return; // party-not-in-policy says it already
    };
    match &d.basis.function {
        Some(f) if !party.functions.is_empty() && !party.functions.iter().any(|x| &x.id == f) => {
            let owner = policy
                .function_owner(f)
                .map(|o| format!(", a function of {}", o.id))
                .unwrap_or_default();
            let own: Vec<&str> = party.functions.iter().map(|x| x.id.as_str()).collect();
            raised.add(
                FlagCode::FunctionNotOfParty,
                format!(
                    "names function {f}{owner}; {}'s functions in policy {:?} are {}",
                    d.from,
                    policy.label,
                    own.join(", ")
                ),
            );
        }
        None if d.category.kind() == CategoryKind::CaseByCase => {
            raised.add(
                FlagCode::FunctionMissing,
                "no function of the discloser is recorded as the purpose of this case-by-case disclosure".into(),
            );
        }
        _ => {}
    }
}

/// What is wrong with a disclosure's relevance to the discloser's limb `required`, if anything.
/// Format 2 records the limb as a structured choice, which must be the discloser's own limb in
/// the words of the policy in force; format 1 recorded free text, judged (as it was then) by
/// whether it contains the limb's words.
fn relevance_problem(format: u16, d: &Disclosure, required: &str) -> Option<String> {
    let limb = &d.from;
    match &d.relevance {
        None => Some(format!(
            "no relevance limb recorded; {limb}'s limb is \"{required}\""
        )),
        Some(Relevance::Limb { party, words }) => {
            if party != limb {
                Some(format!(
                    "relies on {party}'s limb, but {limb} disclosed; {limb}'s limb is \"{required}\""
                ))
            } else if !same_words(words, required) {
                Some(format!(
                    "relies on {limb}'s limb as \"{words}\", but the policy in force states it as \"{required}\""
                ))
            } else {
                None
            }
        }
        Some(Relevance::Statement(stated)) if format >= 2 => Some(format!(
            "free-text relevance \"{stated}\" in a format 2 entry, which records the limb relied on"
        )),
        Some(Relevance::Statement(stated)) => {
            (!stated.to_lowercase().contains(&required.to_lowercase())).then(|| {
                format!("relevance \"{stated}\" does not state \"{required}\" (format 1 free text)")
            })
        }
    }
}

/// Whether two texts are the same words, ignoring case and runs of white space. Allocates
/// nothing: it runs for every disclosure `verify` judges.
pub fn same_words(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (mut a, mut b) = (a.split_whitespace(), b.split_whitespace());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y))
                if x.chars()
                    .flat_map(char::to_lowercase)
                    .eq(y.chars().flat_map(char::to_lowercase)) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_words;

    #[test]
    fn same_words_ignores_case_and_spacing_only() {
        assert!(same_words(
            "relevant to online safety",
            "Relevant  to\tonline safety"
        ));
        assert!(same_words("", "  "));
        assert!(!same_words(
            "relevant to online safety",
            "NOT relevant to online safety"
        ));
        assert!(!same_words(
            "relevant to online",
            "relevant to online safety"
        ));
        assert!(!same_words(
            "relevant to online safety",
            "relevant to online safety x"
        ));
    }
}
