//! Plain-language descriptions of entries, for `show`, `list` and evidence summaries.

use std::fmt::Write;

use crate::model::{Body, Category, Disclosure, Entry, Notification};

/// One line: sequence, recorded date, signer, kind and the gist.
pub fn one_line(entry: &Entry) -> String {
    let date = entry.recorded_at.london_date();
    // Format 2 makes theme and policy acts joint: the entry is a proposal until confirmed.
    let proposes = if entry.version >= 2 { "proposed: " } else { "" };
    let gist = match &entry.body {
        Body::Genesis(g) => format!(
            "ledger {} created; parties {}",
            g.origin,
            g.parties
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Body::KeyAdded(k) => format!("{} adds key {} ({})", k.party, k.key.name, k.key.key_id),
        Body::KeyRotated(k) => format!(
            "{} replaces key {} with {} ({})",
            k.party, k.old, k.new.name, k.new.key_id
        ),
        Body::KeyRevoked(k) => format!("{} revokes key {}: {}", k.party, k.key_id, k.reason),
        Body::PolicyAdopted(p) => {
            format!(
                "{proposes}policy {:?} adopted, effective {}",
                p.label,
                p.effective_from.london_date()
            )
        }
        Body::ThemeDeclared(t) => format!("{proposes}theme {} declared: {}", t.id, t.title),
        Body::ThemeRetired(t) => format!("{proposes}theme {} retired: {}", t.id, t.reason),
        Body::DesignationProposed(d) => match &d.with {
            Some(w) => format!(
                "proposes {} ({}) as of mutual interest with {w}",
                d.company.name, d.company.id
            ),
            None => format!(
                "proposes {} ({}) as of mutual interest",
                d.company.name, d.company.id
            ),
        },
        Body::DesignationConfirmed(d) => {
            format!(
                "confirms {} as of mutual interest (proposal {})",
                d.company, d.proposal
            )
        }
        Body::DesignationEnded(d) => match &d.with {
            Some(w) => format!("ends designation of {} with {w}: {}", d.company, d.reason),
            None => format!("ends designation of {}: {}", d.company, d.reason),
        },
        Body::Confirmed(c) => format!(
            "confirms proposal {}, effective {}",
            c.proposal,
            c.effective_from.london_date()
        ),
        Body::Disposition(d) => format!(
            "disposes of flag {} on {}: {}",
            d.flag,
            d.entry,
            d.action.as_str()
        ),
        Body::Erasure(e) => format!(
            "erases {} field value(s) under retention rule {}",
            e.fields.len(),
            e.retention_rule
        ),
        Body::Refusal(r) => format!(
            "{} declines to disclose to {} (assessment {})",
            r.from, r.to, r.assessment.reference
        ),
        // `list` filters disclosures by the date they were made: a line says it when it is not
        // the recording date the line starts with.
        Body::Disclosure(d) if d.disclosed_at.london_date() != date => format!(
            "{}, disclosed {}",
            disclosure_gist(d),
            d.disclosed_at.london_date()
        ),
        Body::Disclosure(d) => disclosure_gist(d),
        Body::Acknowledgement(a) => format!(
            "acknowledges {} (received {})",
            a.disclosure,
            a.received_at.london_date()
        ),
        Body::Correction(c) => format!(
            "corrects {}{}: {}",
            c.supersedes,
            if c.replacement.is_some() {
                " with a replacement"
            } else {
                ""
            },
            c.reason
        ),
    };
    format!(
        "{:>6}  {}  {:<6} {:<21} {}",
        entry.seq.to_string(),
        date,
        entry.signer.party,
        entry.body.kind(),
        gist
    )
}

fn disclosure_gist(d: &Disclosure) -> String {
    let companies: Vec<&str> = d
        .category
        .companies()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let themes: Vec<&str> = d.category.themes().iter().map(|t| t.as_str()).collect();
    let mut s = format!("{}→{} {}", d.from, d.to, d.category.kind());
    if !companies.is_empty() {
        let _ = write!(s, " [{}]", companies.join(", "));
    }
    if !themes.is_empty() {
        let _ = write!(s, " ({})", themes.join(", "));
    }
    s
}

/// A full, multi-line description of an entry.
pub fn full(entry: &Entry, hash: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Entry {} — {}", entry.seq, entry.body.kind());
    let _ = writeln!(
        s,
        "  recorded:  {} ({} UK date)",
        entry.recorded_at,
        entry.recorded_at.london_date()
    );
    let _ = writeln!(
        s,
        "  signed by: {} with key {}",
        entry.signer.party, entry.signer.key_id
    );
    let _ = writeln!(s, "  hash:      {hash}");
    let _ = writeln!(s, "  previous:  {}", entry.prev);
    let single_party_act = entry.version < 2
        && matches!(
            entry.body,
            Body::ThemeDeclared(_) | Body::ThemeRetired(_) | Body::PolicyAdopted(_)
        );
    let _ = writeln!(
        s,
        "  format:    {}{}",
        entry.version,
        if single_party_act {
            " (recorded under format 1's rules: an act of the party that signed it alone, valid \
             as recorded then; from format 2 the other party confirms it)"
        } else {
            ""
        }
    );
    match &entry.body {
        Body::Disclosure(d) => describe_disclosure(&mut s, d),
        Body::Correction(c) => {
            let _ = writeln!(s, "  supersedes: {}", c.supersedes);
            let _ = writeln!(s, "  reason:     {}", c.reason);
            if let Some(r) = &c.replacement {
                let _ = writeln!(s, "  replacement disclosure:");
                describe_disclosure(&mut s, r);
            }
        }
        Body::Genesis(g) => {
            let _ = writeln!(s, "  origin:    {}", g.origin);
            for p in &g.parties {
                let _ = writeln!(
                    s,
                    "  party:     {} ({}), trust root {} ({})",
                    p.id, p.name, p.trust_root.name, p.trust_root.key_id
                );
            }
            let _ = writeln!(
                s,
                "  policy:    {:?}, effective {}, sha256 {}",
                g.policy.label,
                g.policy.effective_from,
                hex::encode(g.policy.sha256)
            );
        }
        _ => {
            let _ = writeln!(
                s,
                "  {}",
                one_line(entry)
                    .split_whitespace()
                    .skip(4)
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    s
}

fn describe_disclosure(s: &mut String, d: &Disclosure) {
    let _ = writeln!(s, "  from → to: {} → {}", d.from, d.to);
    let _ = writeln!(
        s,
        "  disclosed: {} ({} UK date)",
        d.disclosed_at,
        d.disclosed_at.london_date()
    );
    let _ = writeln!(s, "  gateway:   {}", d.gateway);
    let _ = writeln!(s, "  category:  {}", d.category.kind());
    match &d.category {
        Category::InformationRequest {
            information_notice: true,
            ..
        } => {
            let _ = writeln!(s, "             (a formal Information Notice)");
        }
        Category::PublicInformation { source, .. } => {
            let _ = writeln!(
                s,
                "  source:    {}",
                source.as_deref().unwrap_or("(none recorded)")
            );
        }
        Category::CaseByCase { assessment, .. } => match assessment {
            Some(a) => {
                let _ = writeln!(
                    s,
                    "  assessment: {} approved by {}",
                    a.reference, a.approver
                );
            }
            None => {
                let _ = writeln!(s, "  assessment: (none recorded)");
            }
        },
        _ => {}
    }
    for c in d.category.companies() {
        let _ = writeln!(s, "  company:   {} ({})", c.name, c.id);
    }
    for t in d.category.themes() {
        let _ = writeln!(s, "  theme:     {t}");
    }
    match &d.notification {
        Notification::Notified => {
            let _ = writeln!(s, "  notice:    the service was notified beforehand");
        }
        Notification::Skipped { reason } if reason.trim().is_empty() => {
            let _ = writeln!(s, "  notice:    skipped (no reason recorded)");
        }
        Notification::Skipped { reason } => {
            let _ = writeln!(s, "  notice:    skipped — {reason}");
        }
    }
    if let Some(r) = &d.relevance {
        let _ = writeln!(s, "  relevance: {r}");
    }
    if let Some(c) = &d.decision {
        let _ = writeln!(s, "  outcome:   {} — {}", c.outcome.as_str(), c.reasoning);
    }
    let basis = [
        ("function", &d.basis.function),
        ("necessity", &d.basis.necessity),
        ("power", &d.basis.power),
        ("agreement", &d.basis.agreement),
    ];
    for (name, value) in basis {
        if let Some(v) = value {
            let _ = writeln!(s, "  {name:<10} {v}");
        }
    }
    if let Some(j) = &d.joint_engagement {
        let _ = writeln!(s, "  joint engagement: {j}");
    }
    let _ = writeln!(s, "  officer:   {}", d.officer_role);
    for f in &d.fields {
        let _ = writeln!(
            s,
            "  field:     {} (commitment {})",
            f.name,
            hex::encode(f.commitment)
        );
    }
}
