//! Company dossiers: every disclosure naming one company up to a cosigned checkpoint, with what
//! happened to each, the registers they were judged against, and the index proofs that the lists
//! are complete. The verifier checks every entry as in a bundle, checks each list against its
//! proof (an omitted or extra entry fails, named), and recomputes every flag from the entries
//! with the policy engine `verify` uses — an unsigned list of flags would prove nothing.

use ledger_core::index::{IndexKey, index_root, keys_of};
use ledger_core::model::{CompanyId, Entry, Notification, Timestamp};
use ledger_core::policy::PolicyEngine;

use super::*;

/// One disclosure (or correction, or refusal) of a dossier's table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DossierRow {
    /// The entry.
    pub seq: u64,
    /// What it is: disclosure, correction (a replacement) or refusal.
    pub kind: &'static str,
    /// When it was made (London date).
    pub date: String,
    /// From → to.
    pub direction: String,
    /// The category.
    pub category: String,
    /// The gateway relied on.
    pub gateway: String,
    /// Whether the company was notified.
    pub notification: String,
    /// The policy in force on its date (label).
    pub policy: String,
    /// What happened to it later: acknowledgements, corrections.
    pub later: Vec<String>,
    /// The flags it raises, each with its disposition if any.
    pub flags: Vec<String>,
}

/// What a dossier establishes, for its summary and HTML page.
#[derive(Debug, Clone, Default)]
pub(crate) struct DossierFacts {
    pub(crate) origin: String,
    pub(crate) company: String,
    pub(crate) company_name: String,
    pub(crate) size: u64,
    pub(crate) signer: Option<PartyId>,
    pub(crate) cosigners: Vec<(PartyId, Timestamp)>,
    pub(crate) proven: bool,
    /// The checkpoint carries an entry index root (completeness could be proved).
    pub(crate) indexed: bool,
    pub(crate) named: usize,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) rows: Vec<DossierRow>,
    pub(crate) designations: Vec<String>,
    pub(crate) registers: Vec<String>,
    /// Opened or erased field values: (entry, field, what).
    pub(crate) opened: Vec<(u64, String, String)>,
}

/// Checks a dossier's content (everything but the manifest's file list, summary.txt and
/// dossier.html) and derives its summary and HTML page.
pub(crate) fn analyze_dossier(
    manifest: &Manifest,
    files: &Files,
    trusted: &[PublicKey],
) -> (EvidenceReport, String) {
    let mut a = Analysis::new(manifest, files, trusted);
    let mut html = String::new();
    if let Some(cp) = a.check_entries_and_checkpoint() {
        let mut facts = a.check_dossier(cp.as_ref());
        facts.opened = a.check_dossier_openings();
        a.report.summary = crate::dossier_text::summary(&facts);
        html = crate::dossier_text::html(&facts);
    }
    a.report.checks = a.checks.0;
    a.report.ok = a.report.checks.iter().all(|c| c.ok);
    (a.report, html)
}

fn london(t: Timestamp) -> String {
    t.london_date().to_string()
}

impl<'a> Analysis<'a> {
    /// `openings.json` of a dossier: each opened value reproduces its commitment in a subject
    /// disclosure; each "erased" is backed by an erasure entry in the dossier.
    fn check_dossier_openings(&mut self) -> Vec<(u64, String, String)> {
        let Some(bytes) = self.files.get(OPENINGS_FILE) else {
            return Vec::new();
        };
        let openings: DossierOpenings = match serde_json::from_slice(bytes) {
            Ok(o) => o,
            Err(e) => {
                self.checks.fail(
                    CheckName::FieldOpening,
                    format!("{OPENINGS_FILE} is not valid: {e}"),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for o in &openings.entries {
            let seq = o.entry;
            let Some(d) = self
                .entry_of(seq)
                .and_then(|e| e.body.disclosure())
                .cloned()
            else {
                self.checks.fail(
                    CheckName::FieldOpening,
                    format!("{OPENINGS_FILE} opens fields of #{seq}, which is no disclosure in the dossier"),
                );
                continue;
            };
            for opening in &o.fields {
                let name = opening.name();
                let Some(commit) = d.fields.iter().find(|f| f.name.as_str() == name) else {
                    self.checks.fail(
                        CheckName::FieldOpening,
                        format!("#{seq} {name:?}: the entry records no such field"),
                    );
                    continue;
                };
                match opening {
                    Opening::Opened { value, salt, .. } => {
                        let ok = hex::decode(salt)
                            .ok()
                            .and_then(|s| <[u8; 32]>::try_from(s).ok())
                            .is_some_and(|salt| {
                                ledger_core::hash::field_commitment(&salt, name, value.as_bytes())
                                    == commit.commitment
                            });
                        if ok {
                            self.checks.pass(
                                CheckName::FieldOpening,
                                format!("#{seq} {name} = {value:?}: reproduces the commitment"),
                            );
                            out.push((seq, name.to_owned(), format!("{value:?}")));
                        } else {
                            self.checks.fail(
                                CheckName::FieldOpening,
                                format!(
                                    "#{seq} {name}: the value and salt do not reproduce the \
                                     commitment in the signed entry"
                                ),
                            );
                        }
                    }
                    Opening::Erased { erased_at, .. } => {
                        let backing =
                            self.items
                                .iter()
                                .filter_map(|i| i.entry.as_ref())
                                .find(|e| match &e.body {
                                    Body::Erasure(x) => x
                                        .fields
                                        .iter()
                                        .any(|f| f.entry.0 == seq && f.field.as_str() == name),
                                    _ => false,
                                });
                        match backing {
                            Some(b) if b.recorded_at == *erased_at => {
                                self.checks.pass(
                                    CheckName::FieldOpening,
                                    format!(
                                        "#{seq} {name}: erased by {} in erasure entry #{}",
                                        b.signer.party, b.seq.0
                                    ),
                                );
                                out.push((
                                    seq,
                                    name.to_owned(),
                                    format!(
                                        "erased on {} (entry #{})",
                                        erased_at.london_date(),
                                        b.seq.0
                                    ),
                                ));
                            }
                            _ => self.checks.fail(
                                CheckName::FieldOpening,
                                format!(
                                    "#{seq} {name}: said to be erased, but no erasure entry in the \
                                     dossier records it at that time (an unbacked \"erased\")"
                                ),
                            ),
                        }
                    }
                }
            }
        }
        out
    }

    fn check_dossier(&mut self, cp: Option<&CheckpointFacts>) -> DossierFacts {
        let scope = self.manifest.dossier.clone().expect("a dossier's manifest");
        let size = self.manifest.tree_size;
        let mut facts = DossierFacts {
            origin: self.manifest.origin.clone(),
            company: scope.company.clone(),
            company_name: scope.company.clone(),
            size,
            signer: cp.map(|c| c.signer.clone()),
            cosigners: cp
                .map(|c| {
                    c.cosigners
                        .iter()
                        .map(|x| (x.party.clone(), x.at))
                        .collect()
                })
                .unwrap_or_default(),
            from: scope.from.clone(),
            to: scope.to.clone(),
            ..DossierFacts::default()
        };
        let Ok(company) = CompanyId::new(scope.company.as_str()) else {
            self.checks.fail(
                CheckName::Completeness,
                format!(
                    "the manifest names {:?}, which is not a company id",
                    scope.company
                ),
            );
            return facts;
        };
        let entries: Vec<Entry> = self.items.iter().filter_map(|i| i.entry.clone()).collect();
        let mut filed: BTreeMap<IndexKey, Vec<u64>> = BTreeMap::new();
        for e in &entries {
            for k in keys_of(e) {
                filed.entry(k).or_default().push(e.seq.0);
            }
        }
        let under = |key: &IndexKey| -> Vec<u64> { filed.get(key).cloned().unwrap_or_default() };
        // The lists the dossier must hold in full.
        let mut wanted: Vec<IndexKey> = vec![
            IndexKey::Company(company.clone()),
            IndexKey::Designations(company.clone()),
            IndexKey::Themes,
            IndexKey::Policies,
        ];
        let named = under(&IndexKey::Company(company.clone()));
        // Other companies a subject names: their designations decide its flags.
        for e in entries.iter().filter(|e| named.contains(&e.seq.0)) {
            let others = e.body.companies();
            for c in others {
                let k = IndexKey::Designations(c.id.clone());
                if !wanted.contains(&k) {
                    wanted.push(k);
                }
            }
        }
        let anchors: BTreeSet<u64> = wanted.iter().flat_map(&under).collect();
        for a in &anchors {
            wanted.push(IndexKey::Refs(Seq(*a)));
        }
        for p in self.party_names.keys() {
            wanted.push(IndexKey::Keys(p.clone()));
        }
        // Check each list against its proof.
        let root = self
            .checkpoint
            .as_ref()
            .and_then(|(c, _)| index_root(&c.extensions).ok().flatten());
        let proofs: Option<IndexProofs> = self
            .files
            .get(INDEX_FILE)
            .and_then(|b| serde_json::from_slice(b).ok());
        let before = self.checks.0.len();
        facts.indexed = root.is_some();
        match (root, proofs) {
            (None, _) => self.checks.pass(
                CheckName::Completeness,
                "not proven: the checkpoint carries no entry index root, so the dossier shows \
                 what was recorded but cannot prove that nothing else was"
                    .to_owned(),
            ),
            (Some(_), None) => self.checks.fail(
                CheckName::Completeness,
                format!("the checkpoint signs an entry index root but {INDEX_FILE} is missing or unreadable"),
            ),
            (Some(root), Some(proofs)) => {
                let mut lists = BTreeMap::new();
                for item in &proofs.proofs {
                    match completeness::check_item(item, &root, size) {
                        Ok(k) => {
                            lists.insert(k, item.entries.clone());
                        }
                        Err(why) => self
                            .checks
                            .fail(CheckName::Completeness, format!("key {}: {why}", item.key)),
                    }
                }
                for key in &wanted {
                    let held = under(key);
                    match lists.get(key) {
                        None => self.checks.fail(
                            CheckName::Completeness,
                            format!("{INDEX_FILE} has no proof for {key} ({})", key.describe()),
                        ),
                        Some(proved) => {
                            let proved: Vec<u64> = match key {
                                IndexKey::Keys(_) => {
                                    proved.iter().copied().filter(|s| *s != 0).collect()
                                }
                                _ => proved.clone(),
                            };
                            let held: Vec<u64> = match key {
                                IndexKey::Keys(_) => held.into_iter().filter(|s| *s != 0).collect(),
                                _ => held,
                            };
                            for p in completeness::differences(key, &proved, &held, "is filed under", "dossier") {
                                self.checks.fail(CheckName::Completeness, p);
                            }
                        }
                    }
                }
                // Nothing else: every entry is on a list the dossier proves.
                let listed: BTreeSet<u64> = wanted.iter().flat_map(&under).collect();
                for e in &entries {
                    if e.seq.0 != 0 && !listed.contains(&e.seq.0) {
                        self.checks.fail(
                            CheckName::Completeness,
                            format!(
                                "entry #{} ({}) is on none of the lists this dossier proves: it has \
                                 no place in it",
                                e.seq.0,
                                e.body.kind()
                            ),
                        );
                    }
                }
                if !self.checks.0[before..].iter().any(|c| !c.ok) {
                    facts.proven = true;
                    self.checks.pass(
                        CheckName::Completeness,
                        format!(
                            "the entry index signed with the checkpoint proves the dossier holds \
                             every entry naming {company}, every designation entry of the \
                             companies they name, every theme and policy entry, everything that \
                             refers to any of them and every key change — no more, no fewer ({} \
                             lists)",
                            wanted.len()
                        ),
                    );
                }
            }
        }
        // The flags, recomputed from the entries.
        let mut reg = Registers::default();
        let mut engine = PolicyEngine::new();
        let mut flags = Vec::new();
        let mut dispositions: BTreeMap<(u64, String), String> = BTreeMap::new();
        let mut later: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for item in &self.items {
            let Some(e) = &item.entry else { continue };
            match &e.body {
                Body::Disclosure(d) => {
                    flags.extend(engine.judge(e.seq, e.recorded_at, e.version, d, &reg, None))
                }
                Body::Correction(c) => {
                    later.entry(c.supersedes.0).or_default().push(format!(
                        "corrected by #{} on {}",
                        e.seq.0,
                        london(e.recorded_at)
                    ));
                    if let Some(d) = &c.replacement {
                        let first = reg
                            .disclosures
                            .get(c.supersedes)
                            .map_or(e.recorded_at, |s| s.recorded_at);
                        flags.extend(engine.judge(e.seq, first, e.version, d, &reg, None));
                    }
                }
                Body::Acknowledgement(a) => later.entry(a.disclosure.0).or_default().push(format!(
                    "acknowledged by #{} on {}",
                    e.seq.0,
                    london(e.recorded_at)
                )),
                Body::Genesis(g) => {
                    flags.extend(engine.judge_policy_entry(e.seq, e.recorded_at, &g.policy))
                }
                Body::PolicyAdopted(p) => {
                    facts.registers.push(ledger_core::describe::one_line(e));
                    flags.extend(engine.judge_policy_entry(e.seq, e.recorded_at, p))
                }
                Body::Disposition(d) => {
                    dispositions.insert(
                        (d.entry.0, d.flag.clone()),
                        format!(
                            "{} by {} in #{}",
                            d.action.as_str(),
                            e.signer.party,
                            e.seq.0
                        ),
                    );
                }
                Body::DesignationProposed(_)
                | Body::DesignationConfirmed(_)
                | Body::DesignationEnded(_) => {
                    facts.designations.push(ledger_core::describe::one_line(e));
                }
                Body::Confirmed(c)
                    if matches!(
                        self.entry_of(c.proposal.0).map(|p| &p.body),
                        Some(Body::DesignationProposed(_))
                    ) =>
                {
                    facts.designations.push(ledger_core::describe::one_line(e));
                }
                Body::ThemeDeclared(_) | Body::ThemeRetired(_) | Body::Confirmed(_) => {
                    facts.registers.push(ledger_core::describe::one_line(e));
                }
                _ => {}
            }
            reg.apply(e, item.leaf);
        }
        let as_of = facts
            .cosigners
            .iter()
            .map(|(_, at)| *at)
            .max()
            .or_else(|| {
                self.items
                    .last()
                    .and_then(|i| i.entry.as_ref())
                    .map(|e| e.recorded_at)
            })
            .unwrap_or(Timestamp(0));
        flags.extend(engine.finish(&reg, as_of));
        if let Some(c) = reg.companies.get(&company) {
            facts.company_name = c.name.clone();
        }
        // The table.
        facts.named = named.len();
        for e in entries.iter().filter(|e| named.contains(&e.seq.0)) {
            let (kind, from, to, at, d) = match &e.body {
                Body::Refusal(r) => ("refusal", &r.from, &r.to, r.decided_at, None),
                Body::Correction(c) => match &c.replacement {
                    Some(d) => ("correction", &d.from, &d.to, d.disclosed_at, Some(d)),
                    None => continue,
                },
                Body::Disclosure(d) => ("disclosure", &d.from, &d.to, d.disclosed_at, Some(d)),
                _ => continue,
            };
            let date = london(at);
            if scope.from.as_ref().is_some_and(|f| date < *f)
                || scope.to.as_ref().is_some_and(|t| date > *t)
            {
                continue;
            }
            let policy = engine
                .policy_in_force(&reg, at)
                .map(|(doc, _)| doc.label.clone())
                .unwrap_or_default();
            let row_flags: Vec<String> = flags
                .iter()
                .filter(|f| f.seq == e.seq)
                .map(
                    |f| match dispositions.get(&(e.seq.0, f.code.code().to_owned())) {
                        Some(d) => format!("{} ({d})", f.code.code()),
                        None => f.code.code().to_owned(),
                    },
                )
                .collect();
            facts.rows.push(DossierRow {
                seq: e.seq.0,
                kind,
                date,
                direction: format!("{from} → {to}"),
                category: d.map_or("refusal".to_owned(), |d| d.category.kind().to_string()),
                gateway: d.map_or(String::new(), |d| d.gateway.to_string()),
                notification: d.map_or(String::new(), |d| match &d.notification {
                    Notification::Notified => "notified".to_owned(),
                    Notification::Skipped { .. } => "skipped".to_owned(),
                }),
                policy,
                later: later.remove(&e.seq.0).unwrap_or_default(),
                flags: row_flags,
            });
        }
        facts
    }
}
