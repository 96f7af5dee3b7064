//! The verifier is the rulebook (issue 13, item 4): every rule the writer enforces is also
//! enforced by `verify` on entries it finds signed in a file. Each row below crafts an entry that
//! breaks one rule of `rules::RULEBOOK`, signs it with the real key of the party it claims (so
//! nothing but the rule is wrong), appends it below the CLI, and shows that
//!
//! - `dledger verify` exits 2 and names the rule, and
//! - the writer (`Ledger::append`) refuses the same entry.
//!
//! A last test checks that every rule of the rulebook has a row here, so the table and the
//! rules cannot drift apart.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use disclosure_ledger::codec::{decode_entry, encode_entry};
use disclosure_ledger::hash::leaf_hash;
use disclosure_ledger::keys::{PublicKey, SecretKey};
use disclosure_ledger::ledger::{Ledger, replay};
use disclosure_ledger::model::{
    Acknowledgement, Assessment, Body, CaseDecision, Category, CompanyRef, Confirmed, Correction,
    DesignationConfirmed, DesignationEnded, DesignationProposed, Disclosure, Disposition,
    DispositionAction, Entry, EntryHash, Erasure, FORMAT_VERSION, KeyAdded, KeyRevoked, Outcome,
    Refusal, Seq, Signer, ThemeDeclared, ThemeId, ThemeRetired, Timestamp,
};
use disclosure_ledger::registers::{CompanyStatus, Registers};
use disclosure_ledger::rules::{self, RULEBOOK};
use disclosure_ledger::store::{Access, NewRecord, Store};

/// What the sample holds at its end, for picking targets.
struct Sample {
    reg: Registers,
    entries: Vec<Entry>,
    /// Recording time of the crafted entry (a minute after the last).
    at: Timestamp,
}

impl Sample {
    fn load() -> Sample {
        let store = Store::open(&common::sample_v2_ledger(), Access::ReadOnly).unwrap();
        let mut entries = Vec::new();
        store
            .scan(0, None, |r| {
                entries.push(decode_entry(&r.bytes).unwrap());
                Ok::<_, disclosure_ledger::store::StoreError>(())
            })
            .unwrap();
        let at = entries.last().unwrap().recorded_at.plus_seconds(60);
        Sample {
            reg: replay(&store).unwrap(),
            entries,
            at,
        }
    }

    /// The last information request from `from`, to copy and change.
    fn request_from(&self, from: &str) -> Disclosure {
        self.entries
            .iter()
            .rev()
            .find_map(|e| match &e.body {
                Body::Disclosure(d)
                    if d.from.as_str() == from
                        && matches!(d.category, Category::InformationRequest { .. }) =>
                {
                    Some(d.clone())
                }
                _ => None,
            })
            .expect("the sample holds information requests")
    }

    /// A disclosure (its number) from `from`, acknowledged or not as asked.
    fn disclosure(&self, from: &str, acknowledged: bool) -> Seq {
        self.entries
            .iter()
            .find_map(|e| match &e.body {
                Body::Disclosure(d)
                    if d.from.as_str() == from
                        && self
                            .reg
                            .disclosures
                            .get(e.seq)
                            .is_some_and(|s| s.acknowledged.is_some() == acknowledged)
                        && self
                            .reg
                            .disclosures
                            .get(e.seq)
                            .is_some_and(|s| s.corrected_by.is_empty()) =>
                {
                    Some(e.seq)
                }
                _ => None,
            })
            .expect("the sample holds such a disclosure")
    }

    /// A company in this state at the end of the sample.
    fn company(&self, status: CompanyStatus) -> CompanyRef {
        self.reg
            .companies
            .iter()
            .find(|(id, _)| self.reg.company_status(id, self.at) == Some(status))
            .map(|(id, c)| CompanyRef {
                id: id.clone(),
                name: c.name.clone(),
            })
            .unwrap_or_else(|| panic!("the sample holds a company in state {status:?}"))
    }

    fn theme_in_force(&self) -> ThemeId {
        self.reg
            .themes
            .keys()
            .find(|t| self.reg.theme_in_force(t, self.at))
            .cloned()
            .unwrap()
    }
}

/// One crafted entry: who signs it (party, demo key name) and what it says.
struct Craft {
    party: &'static str,
    key: &'static str,
    body: Body,
}

fn craft(party: &'static str, key: &'static str, body: Body) -> Craft {
    Craft { party, key, body }
}

/// The rows: (rule broken, the entry that breaks it).
fn cases(s: &Sample) -> Vec<(&'static str, Craft)> {
    let genesis = s.entries[0].body.clone();
    let new_key = SecretKey::from_seed("ico-extra", &[42; 32]).unwrap();
    let ofcom_key = PublicKey::from_vkey(
        std::fs::read_to_string(common::root().join("keys/ofcom-2024.vkey"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let ops = PublicKey::from_vkey(
        std::fs::read_to_string(common::root().join("keys/ofcom-ops-2024.vkey"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let request = s.request_from("ICO");
    let mut to_self = request.clone();
    to_self.to = "ICO".parse().unwrap();
    let mut dup_field = request.clone();
    dup_field.fields.push(dup_field.fields[0].clone());
    let mut renamed = request.clone();
    if let Category::InformationRequest { companies, .. } = &mut renamed.category {
        companies[0].name = "Somebody Else Ltd".into();
    }
    let mut to_cma = s
        .entries
        .iter()
        .find_map(|e| match &e.body {
            Body::Disclosure(d) if e.seq == s.disclosure("ICO", false) => Some(d.clone()),
            _ => None,
        })
        .unwrap();
    to_cma.to = "CMA".parse().unwrap();
    let open_proposal = s
        .reg
        .pending
        .iter()
        .find(|(_, p)| p.by.as_str() == "OFCOM")
        .map(|(seq, _)| *seq)
        .expect("the sample holds an open proposal by Ofcom");
    let mut declined = request.clone();
    declined.decision = Some(CaseDecision {
        outcome: Outcome::Decline,
        reasoning: String::new(),
    });
    let mut future = request.clone();
    future.disclosed_at = s.at.plus_seconds(86_400);
    let acked_ico = s.disclosure("ICO", true);
    let open_ico = s.disclosure("ICO", false);
    let open_ofcom = s.disclosure("OFCOM", false);
    let disclosed_at = |seq: Seq| s.reg.disclosures.get(seq).unwrap().disclosed_at;
    let mutual = s.company(CompanyStatus::Mutual);
    let confirmed_proposal = s.reg.companies[&mutual.id]
        .proposals
        .iter()
        .find(|p| !p.open)
        .unwrap()
        .seq;
    let undesignated = s.company(CompanyStatus::NotDesignated);
    let retired = s
        .reg
        .themes
        .keys()
        .find(|t| !s.reg.theme_in_force(t, s.at))
        .cloned()
        .unwrap_or_else(|| ThemeId::new("never-declared-theme").unwrap());
    let mut policy = match &genesis {
        Body::Genesis(g) => g.policy.clone(),
        _ => unreachable!(),
    };
    policy.sha256[0] ^= 1;
    vec![
        ("genesis-first", craft("ICO", "ico-2025", genesis)),
        (
            "signer-key-valid",
            craft("CMA", "ico-2025", declare("forged-by-wrong-key")),
        ),
        (
            "key-used-after-end",
            craft("ICO", "ico-2024", declare("signed-after-rotation")),
        ),
        (
            "key-change-own",
            craft(
                "ICO",
                "ico-2025",
                Body::KeyAdded(KeyAdded {
                    party: "OFCOM".parse().unwrap(),
                    key: new_key.public().record(),
                }),
            ),
        ),
        (
            "key-change-target",
            craft(
                "OFCOM",
                "ofcom-2024",
                Body::KeyRevoked(KeyRevoked {
                    party: "OFCOM".parse().unwrap(),
                    key_id: ops.key_id,
                    reason: "again".into(),
                }),
            ),
        ),
        (
            "new-key-valid",
            craft(
                "ICO",
                "ico-2025",
                Body::KeyAdded(KeyAdded {
                    party: "ICO".parse().unwrap(),
                    key: ofcom_key.record(),
                }),
            ),
        ),
        (
            "policy-hash",
            craft("ICO", "ico-2025", Body::PolicyAdopted(policy)),
        ),
        (
            "theme-declare-new",
            craft(
                "ICO",
                "ico-2025",
                Body::ThemeDeclared(ThemeDeclared {
                    id: s.theme_in_force(),
                    title: "Declared again".into(),
                    description: String::new(),
                }),
            ),
        ),
        (
            "theme-retire-in-force",
            craft(
                "ICO",
                "ico-2025",
                Body::ThemeRetired(ThemeRetired {
                    id: retired,
                    reason: "not in force".into(),
                }),
            ),
        ),
        (
            "company-name-consistent",
            craft("ICO", "ico-2025", Body::Disclosure(renamed)),
        ),
        (
            "designation-propose",
            craft(
                "ICO",
                "ico-2025",
                Body::DesignationProposed(DesignationProposed {
                    company: mutual.clone(),
                    rationale: "already mutual".into(),
                    with: Some("OFCOM".parse().unwrap()),
                }),
            ),
        ),
        (
            "designation-confirm",
            craft(
                "OFCOM",
                "ofcom-2024",
                Body::DesignationConfirmed(DesignationConfirmed {
                    company: mutual.id.clone(),
                    proposal: confirmed_proposal,
                }),
            ),
        ),
        (
            "designation-end",
            craft(
                "ICO",
                "ico-2025",
                Body::DesignationEnded(DesignationEnded {
                    company: undesignated.id.clone(),
                    reason: "never designated".into(),
                    with: Some("OFCOM".parse().unwrap()),
                }),
            ),
        ),
        (
            // Mutual interest is between two regulators: a format 2 designation names the pair.
            "designation-pair",
            craft(
                "ICO",
                "ico-2025",
                Body::DesignationProposed(DesignationProposed {
                    company: undesignated.clone(),
                    rationale: "for everyone".into(),
                    with: None,
                }),
            ),
        ),
        (
            "confirm-target",
            craft(
                "ICO",
                "ico-2025",
                Body::Confirmed(Confirmed {
                    proposal: Seq(1),
                    effective_from: s.at,
                }),
            ),
        ),
        (
            // Ofcom confirms its own open proposal: only the ICO, the other member of the
            // pair, can.
            "confirm-by-bound-party",
            craft(
                "OFCOM",
                "ofcom-2024",
                Body::Confirmed(Confirmed {
                    proposal: open_proposal,
                    effective_from: s.at,
                }),
            ),
        ),
        (
            // An erasure that names no field.
            "erasure-parts",
            craft(
                "ICO",
                "ico-2025",
                Body::Erasure(Erasure {
                    fields: vec![],
                    retention_rule: "stakeholder-meeting".into(),
                    reason: "retention ended".into(),
                }),
            ),
        ),
        (
            // A refusal to disclose without the reasoning for it.
            "refusal-parts",
            craft(
                "ICO",
                "ico-2025",
                Body::Refusal(Refusal {
                    from: "ICO".parse().unwrap(),
                    to: "OFCOM".parse().unwrap(),
                    decided_at: s.at,
                    companies: vec![],
                    themes: vec![],
                    assessment: Assessment {
                        reference: "CBC-1".into(),
                        approver: "Head of Supervision".into(),
                    },
                    reasoning: " ".into(),
                    officer_role: "Supervision".into(),
                }),
            ),
        ),
        (
            // A disposition of a flag code that does not exist.
            "disposition-target",
            craft(
                "ICO",
                "ico-2025",
                Body::Disposition(Disposition {
                    entry: open_ico,
                    flag: "no-such-flag".into(),
                    action: DispositionAction::ReviewedNoAction,
                    correction: None,
                    note: "seen".into(),
                    reviewer_role: "compliance".into(),
                }),
            ),
        ),
        (
            // The CMA disposing of a flag on an ICO→Ofcom disclosure.
            "disposition-by-party",
            craft(
                "CMA",
                "cma-2024",
                Body::Disposition(Disposition {
                    entry: open_ico,
                    flag: "unacknowledged".into(),
                    action: DispositionAction::AcceptedException,
                    correction: None,
                    note: "seen".into(),
                    reviewer_role: "compliance".into(),
                }),
            ),
        ),
        (
            // "Remediated" without the correction that put it right.
            "disposition-remedy",
            craft(
                "ICO",
                "ico-2025",
                Body::Disposition(Disposition {
                    entry: open_ico,
                    flag: "unacknowledged".into(),
                    action: DispositionAction::Remediated,
                    correction: None,
                    note: "seen".into(),
                    reviewer_role: "compliance".into(),
                }),
            ),
        ),
        (
            // A replacement that moves the disclosure to another recipient.
            "correction-parties",
            craft(
                "ICO",
                "ico-2025",
                Body::Correction(Correction {
                    supersedes: open_ico,
                    reason: "sent to the CMA instead".into(),
                    replacement: Some(to_cma),
                }),
            ),
        ),
        (
            "disclosure-signer",
            craft("OFCOM", "ofcom-2024", Body::Disclosure(request.clone())),
        ),
        (
            "disclosure-recipient",
            craft("ICO", "ico-2025", Body::Disclosure(to_self)),
        ),
        (
            "disclosure-unique",
            craft("ICO", "ico-2025", Body::Disclosure(dup_field)),
        ),
        (
            // A case decision on a routine information request, with the outcome "decline".
            "disclosure-parts",
            craft("ICO", "ico-2025", Body::Disclosure(declined)),
        ),
        (
            "disclosure-not-future",
            craft("ICO", "ico-2025", Body::Disclosure(future)),
        ),
        (
            "ack-target",
            craft("OFCOM", "ofcom-2024", ack(Seq(1), s.at)),
        ),
        (
            "ack-by-recipient",
            craft("ICO", "ico-2025", ack(open_ico, disclosed_at(open_ico))),
        ),
        (
            "ack-once",
            craft(
                "OFCOM",
                "ofcom-2024",
                ack(acked_ico, disclosed_at(acked_ico)),
            ),
        ),
        (
            "ack-dates",
            craft(
                "ICO",
                "ico-2025",
                ack(open_ofcom, disclosed_at(open_ofcom).plus_seconds(-3600)),
            ),
        ),
        (
            "correction-target",
            craft(
                "ICO",
                "ico-2025",
                Body::Correction(Correction {
                    supersedes: Seq(0),
                    reason: "rewrite the genesis".into(),
                    replacement: None,
                }),
            ),
        ),
        (
            "correction-by-author",
            craft(
                "ICO",
                "ico-2025",
                Body::Correction(Correction {
                    supersedes: open_ofcom,
                    reason: "not ours to correct".into(),
                    replacement: None,
                }),
            ),
        ),
    ]
}

fn declare(id: &str) -> Body {
    Body::ThemeDeclared(ThemeDeclared {
        id: ThemeId::new(id).unwrap(),
        title: "Forged".into(),
        description: String::new(),
    })
}

fn ack(disclosure: Seq, received_at: Timestamp) -> Body {
    Body::Acknowledgement(Acknowledgement {
        disclosure,
        received_at,
    })
}

/// Runs `dledger verify` on `path`: (exit code, stdout).
fn cli_verify(path: &Path) -> (i32, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("dledger"))
        .arg("verify")
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn verify_rejects_every_entry_the_writer_refuses() {
    let sample = Sample::load();
    for (rule, c) in cases(&sample) {
        let dir = tempfile::tempdir().unwrap();
        let path = common::sample_v2_copy(dir.path());
        let keys = common::demo_keys_in(dir.path());
        let key = common::demo_key(&keys, c.key);

        // The same entry given to the writer is refused, whatever it says first. (The writer
        // signs in the name of the key's own party, so an entry claiming another party's name
        // cannot even be attempted through it.)
        if rule != "signer-key-valid" {
            let mut ledger = Ledger::open(&path).unwrap();
            let refused = ledger.append(c.body.clone().into(), &key, sample.at);
            assert!(refused.is_err(), "{rule}: the writer accepted the entry");
        }

        // Signed and appended below the CLI, it is caught by verify and named.
        let n = common::append_body(&path, c.party, &key, c.body);
        let (code, text) = cli_verify(&path);
        assert_eq!(code, 2, "{rule}: verify exit code; report:\n{text}");
        assert!(
            text.contains(&format!("(rule {rule})")),
            "{rule}: the report does not name the rule:\n{text}"
        );
        assert!(
            text.contains(&format!("#{n}")),
            "{rule}: the report does not name entry #{n}:\n{text}"
        );
    }
}

/// The genesis rules, on ledgers whose first entry is crafted.
#[test]
fn verify_rejects_bad_genesis_entries() {
    let sample = Sample::load();
    let Body::Genesis(g) = &sample.entries[0].body else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let keys = common::demo_keys_in(dir.path());
    let ico = common::demo_key(&keys, "ico-2024");
    let ofcom = common::demo_key(&keys, "ofcom-2024");
    let mut one_party = g.clone();
    one_party.parties.truncate(1);
    let mut bad_root = g.clone();
    bad_root.parties[1].trust_root.public[0] ^= 1;
    let rows: Vec<(&str, Body, &SecretKey)> = vec![
        ("genesis-parties", Body::Genesis(one_party), &ico),
        ("trust-root-valid", Body::Genesis(bad_root), &ico),
        // Signed by Ofcom's key but in the ICO's name.
        ("genesis-signer", Body::Genesis(g.clone()), &ofcom),
    ];
    for (i, (rule, body, key)) in rows.into_iter().enumerate() {
        let path = dir.path().join(format!("g{i}.ledger"));
        let entry = Entry {
            version: FORMAT_VERSION,
            seq: Seq(0),
            prev: EntryHash::ZERO,
            recorded_at: sample.entries[0].recorded_at,
            signer: Signer {
                party: "ICO".parse().unwrap(),
                key_id: key.public().key_id,
            },
            body,
        };
        let breaches = rules::check_entry(&Registers::default(), &entry);
        assert!(
            breaches.iter().any(|b| b.rule.id == rule),
            "{rule}: check_entry found {breaches:?}"
        );
        let bytes = encode_entry(&entry).unwrap();
        let store = Store::create(&path).unwrap();
        store
            .append(&[NewRecord {
                seq: 0,
                hash: leaf_hash(&bytes),
                signature: key.sign_entry(&bytes),
                bytes,
                vault: vec![],
                erase: Vec::new(),
            }])
            .unwrap();
        drop(store);
        let (code, text) = cli_verify(&path);
        assert_eq!(code, 2, "{rule}: {text}");
        assert!(text.contains(&format!("(rule {rule})")), "{rule}: {text}");
    }
}

/// Every rule of the rulebook is exercised by a row above: the table of rules and the table of
/// attacks cannot drift apart.
#[test]
fn every_rule_has_an_attack() {
    let sample = Sample::load();
    let mut covered: BTreeSet<&str> = cases(&sample).iter().map(|(r, _)| *r).collect();
    covered.extend(["genesis-parties", "trust-root-valid", "genesis-signer"]);
    // Two-entry attacks, in `verify_rejects_two_entry_attacks`; a format 1 rule, in
    // `an_undeclared_theme_is_rejected_in_format_1_and_flagged_from_format_2`.
    covered.extend([
        "format-order",
        "confirm-effective-date",
        "disclosure-themes-declared",
    ]);
    for rule in RULEBOOK {
        assert!(
            covered.contains(rule.id),
            "rule {} has no attack in tests/rulebook.rs",
            rule.id
        );
    }
}

/// docs/POLICY.md's rulebook section is generated from the table (`UPDATE_DOCS=1` rewrites it).
#[test]
fn policy_doc_lists_the_rulebook_exactly() {
    common::check_generated_section(
        "docs/POLICY.md",
        "RULES",
        &rules::rulebook_markdown(),
        "cargo test --test rulebook",
    );
}

/// Attacks that need an entry recorded first: a format 1 entry after format 2 ones (to escape
/// the newer rules), and a confirmation that moves the agreed effective date of a policy.
#[test]
fn verify_rejects_two_entry_attacks() {
    let sample = Sample::load();
    let dir = tempfile::tempdir().unwrap();
    let keys = common::demo_keys_in(dir.path());
    let ico = common::demo_key(&keys, "ico-2025");
    let ofcom = common::demo_key(&keys, "ofcom-2024");

    // format-order: a format 1 self-confirmation-style entry after the format 2 sample.
    let path = common::sample_v2_copy(dir.path());
    let n = common::append_body_as(&path, "ICO", &ico, declare("format-one-again"), 1);
    let (code, text) = cli_verify(&path);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("(rule format-order)") && text.contains(&format!("#{n}")),
        "{text}"
    );

    // confirm-effective-date: the ICO proposes a policy effective on a date; Ofcom's
    // confirmation states another.
    let path2 = dir.path().join("policy.ledger");
    std::fs::copy(common::sample_v2_ledger(), &path2).unwrap();
    let Body::Genesis(g) = &sample.entries[0].body else {
        unreachable!()
    };
    let mut doc = g.policy.clone();
    doc.label = "revision".into();
    doc.effective_from = sample.at;
    let mut ledger = Ledger::open(&path2).unwrap();
    let proposal = ledger
        .append(Body::PolicyAdopted(doc).into(), &ico, sample.at)
        .unwrap()
        .seq;
    let wrong = Body::Confirmed(Confirmed {
        proposal,
        effective_from: sample.at.plus_seconds(-86_400 * 365),
    });
    assert!(
        ledger
            .append(wrong.clone().into(), &ofcom, sample.at)
            .is_err(),
        "the writer accepted a confirmation with another effective date"
    );
    drop(ledger);
    let n = common::append_body(&path2, "OFCOM", &ofcom, wrong);
    let (code, text) = cli_verify(&path2);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("(rule confirm-effective-date)") && text.contains(&format!("#{n}")),
        "{text}"
    );
}

/// `disclosure-themes-declared` is a format 1 rule: a format 1 disclosure naming a theme the
/// ledger never declared is rejected (exit 2), while from format 2 the same disclosure is
/// recorded and flagged `theme-not-in-force` for review (themes are illustrative and added to
/// over time, statement §2 and §6; issue 15).
#[test]
fn an_undeclared_theme_is_rejected_in_format_1_and_flagged_from_format_2() {
    let dir = tempfile::tempdir().unwrap();
    let keys = common::demo_keys_in(dir.path());
    let ico = common::demo_key(&keys, "ico-2025");
    let undeclared = |path: &std::path::Path| {
        let store = Store::open(path, Access::ReadOnly).unwrap();
        let mut request = None;
        store
            .scan(0, None, |r| {
                if let Ok(e) = decode_entry(&r.bytes)
                    && let Body::Disclosure(d) = e.body
                    && d.from.as_str() == "ICO"
                    && matches!(d.category, Category::StakeholderMeeting { .. })
                {
                    request = Some(d);
                }
                Ok::<_, disclosure_ledger::store::StoreError>(())
            })
            .unwrap();
        let mut d = request.expect("the sample holds ICO meetings");
        if let Category::StakeholderMeeting { themes, .. } = &mut d.category {
            themes.push(ThemeId::new("never-declared-theme").unwrap());
        }
        d
    };

    let v1 = common::sample_copy(dir.path());
    let d = undeclared(&v1);
    let n = common::append_body_as(&v1, "ICO", &ico, Body::Disclosure(d), 1);
    let (code, text) = cli_verify(&v1);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("(rule disclosure-themes-declared)") && text.contains(&format!("#{n}")),
        "{text}"
    );

    let v2 = common::sample_v2_copy(dir.path());
    let mut d = undeclared(&v2);
    // Crafted without values: it shares no field, so the vault owes it none.
    d.fields.clear();
    let n = common::append_body_as(&v2, "ICO", &ico, Body::Disclosure(d), FORMAT_VERSION);
    let (code, text) = cli_verify(&v2);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!("#{n} ICO→OFCOM stakeholder-meeting"))
            && text.contains("theme never-declared-theme has not been declared in this ledger"),
        "{text}"
    );
}
