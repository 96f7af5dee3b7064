//! Structural rules every entry must satisfy given the log before it: who may sign what, and
//! which earlier entries it may refer to.
//!
//! The same rules run when an entry is appended (a breach is refused) and when the ledger is
//! verified (a breach is an integrity failure), so the writer and the verifier cannot disagree.

use crate::hash::sha256;
use crate::integrity::IntegrityKind;
use crate::keys::PublicKey;
use crate::model::{Body, Entry, EntryKind, PolicyDocument};
use crate::registers::{KeyStatus, Registers};

/// A rule an entry breaks, with the specifics.
pub type Breach = (IntegrityKind, String);

/// Checks `entry` against the registers of the log before it. Signature and chain checks are
/// not done here (they need the bytes); see `verify`.
pub fn check_entry(reg: &Registers, entry: &Entry) -> Vec<Breach> {
    let mut out = Vec::new();
    let signer = &entry.signer.party;
    let seq = entry.seq;

    if let Body::Genesis(g) = &entry.body {
        if seq.0 != 0 || reg.origin.is_some() {
            return vec![(
                IntegrityKind::BadGenesis,
                format!("a second genesis entry appears at {seq}"),
            )];
        }
        let mut out = Vec::new();
        if g.parties.len() < 2 {
            out.push((
                IntegrityKind::BadGenesis,
                "genesis names fewer than two parties".to_owned(),
            ));
        }
        for (i, p) in g.parties.iter().enumerate() {
            if g.parties[..i].iter().any(|q| q.id == p.id) {
                out.push((
                    IntegrityKind::BadGenesis,
                    format!("genesis names party {} twice", p.id),
                ));
            }
            if let Err(e) = PublicKey::from_record(&p.trust_root) {
                out.push((
                    IntegrityKind::BadRecord,
                    format!("trust root of {}: {e}", p.id),
                ));
            }
        }
        match g.parties.iter().find(|p| &p.id == signer) {
            Some(p) if p.trust_root.key_id == entry.signer.key_id => {}
            Some(_) => out.push((
                IntegrityKind::UnknownKey,
                format!("genesis is not signed by {signer}'s trust-root key"),
            )),
            None => out.push((
                IntegrityKind::BadGenesis,
                format!("genesis is signed by {signer}, which it does not name as a party"),
            )),
        }
        check_policy(&g.policy, &mut out);
        return out;
    }
    if reg.origin.is_none() {
        return vec![(
            IntegrityKind::BadGenesis,
            format!("{seq} comes before any genesis entry"),
        )];
    }

    match reg.key_status(signer, entry.signer.key_id, seq) {
        KeyStatus::Valid => {}
        KeyStatus::UnknownParty => out.push((
            IntegrityKind::UnknownKey,
            format!("signed by {signer}, which is not a party to this ledger"),
        )),
        KeyStatus::UnknownKey => out.push((
            IntegrityKind::UnknownKey,
            format!(
                "signed with key {} which is not a key of {signer} at this point",
                entry.signer.key_id
            ),
        )),
        KeyStatus::Ended(at) => out.push((
            IntegrityKind::KeyRevoked,
            format!(
                "signed with {signer}'s key {} after it was rotated or revoked at {at}",
                entry.signer.key_id
            ),
        )),
    }

    match &entry.body {
        Body::Genesis(_) => unreachable!("handled above"),
        Body::KeyAdded(k) => {
            if &k.party != signer {
                out.push((
                    IntegrityKind::WrongSigner,
                    format!("{signer} added a key for {}", k.party),
                ));
            }
            check_new_key(reg, &k.party, &k.key, &mut out);
        }
        Body::KeyRotated(k) => {
            if &k.party != signer {
                out.push((
                    IntegrityKind::WrongSigner,
                    format!("{signer} rotated a key of {}", k.party),
                ));
            }
            if !matches!(reg.key_status(&k.party, k.old, seq), KeyStatus::Valid) {
                out.push((
                    IntegrityKind::DanglingReference,
                    format!(
                        "rotates key {} which is not a valid key of {}",
                        k.old, k.party
                    ),
                ));
            }
            check_new_key(reg, &k.party, &k.new, &mut out);
        }
        Body::KeyRevoked(k) => {
            if &k.party != signer {
                out.push((
                    IntegrityKind::WrongSigner,
                    format!("{signer} revoked a key of {}", k.party),
                ));
            }
            if !matches!(reg.key_status(&k.party, k.key_id, seq), KeyStatus::Valid) {
                out.push((
                    IntegrityKind::DanglingReference,
                    format!(
                        "revokes key {} which is not a valid key of {}",
                        k.key_id, k.party
                    ),
                ));
            }
        }
        Body::PolicyAdopted(p) => check_policy(p, &mut out),
        Body::ThemeDeclared(_) | Body::ThemeRetired(_) | Body::DesignationProposed(_) => {}
        Body::DesignationConfirmed(d) => {
            let proposal = reg.entry(d.proposal);
            if d.proposal >= seq
                || proposal.is_none_or(|p| p.kind != EntryKind::DesignationProposed)
            {
                out.push((
                    IntegrityKind::DanglingReference,
                    format!(
                        "confirms {}, which is not an earlier designation proposal",
                        d.proposal
                    ),
                ));
            } else if !reg
                .companies
                .get(&d.company)
                .is_some_and(|c| c.proposals.iter().any(|p| p.seq == d.proposal))
            {
                out.push((
                    IntegrityKind::DanglingReference,
                    format!(
                        "confirms {} for company {}, but that proposal is for another company",
                        d.proposal, d.company
                    ),
                ));
            }
        }
        Body::DesignationEnded(_) => {}
        Body::Disclosure(d) => {
            let mut names: Vec<&str> = d.fields.iter().map(|f| f.name.as_str()).collect();
            names.sort_unstable();
            if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
                out.push((
                    IntegrityKind::BadRecord,
                    format!("field {} is listed twice", w[0]),
                ));
            }
            if &d.from != signer {
                out.push((
                    IntegrityKind::WrongSigner,
                    format!("disclosure from {} is signed by {signer}", d.from),
                ));
            }
            if !reg.parties.contains_key(&d.to) {
                out.push((
                    IntegrityKind::DanglingReference,
                    format!(
                        "disclosure to {}, which is not a party to this ledger",
                        d.to
                    ),
                ));
            }
        }
        Body::Acknowledgement(a) => {
            match reg.disclosures.get(a.disclosure.0) {
                Some(d) if a.disclosure < seq => {
                    if &d.to != signer {
                        out.push((IntegrityKind::WrongSigner, format!(
                        "acknowledgement of {} is signed by {signer}, but the recipient was {}",
                        a.disclosure, d.to
                    )));
                    }
                }
                _ => out.push((
                    IntegrityKind::DanglingReference,
                    format!(
                        "acknowledges {}, which is not an earlier disclosure",
                        a.disclosure
                    ),
                )),
            }
        }
        Body::Correction(c) => {
            match reg.entry(c.supersedes).filter(|_| c.supersedes < seq) {
                None => out.push((
                    IntegrityKind::DanglingReference,
                    format!("corrects {}, which is not an earlier entry", c.supersedes),
                )),
                Some(target) => {
                    if reg.party_at(target.signer) != Some(signer) {
                        out.push((
                            IntegrityKind::WrongSigner,
                            format!(
                                "{signer} corrects {}, which another party recorded",
                                c.supersedes
                            ),
                        ));
                    }
                    if c.replacement.is_some() && target.kind != EntryKind::Disclosure {
                        out.push((
                            IntegrityKind::DanglingReference,
                            format!(
                                "carries a replacement disclosure but {} is a {}",
                                c.supersedes, target.kind
                            ),
                        ));
                    }
                }
            }
            if let Some(r) = &c.replacement
                && &r.from != signer
            {
                out.push((
                    IntegrityKind::WrongSigner,
                    format!(
                        "replacement disclosure from {} is signed by {signer}",
                        r.from
                    ),
                ));
            }
        }
    }
    out
}

fn check_new_key(
    reg: &Registers,
    party: &crate::model::PartyId,
    key: &crate::model::PublicKeyRecord,
    out: &mut Vec<Breach>,
) {
    if let Err(e) = PublicKey::from_record(key) {
        out.push((IntegrityKind::BadRecord, format!("new key of {party}: {e}")));
    }
    if reg.party_of_key(key.key_id).is_some() {
        out.push((
            IntegrityKind::BadRecord,
            format!("key id {} is already registered", key.key_id),
        ));
    }
}

fn check_policy(policy: &PolicyDocument, out: &mut Vec<Breach>) {
    if sha256(policy.text.as_bytes()) != policy.sha256 {
        out.push((
            IntegrityKind::BadRecord,
            format!(
                "policy {:?}: recorded SHA-256 does not match the document's text",
                policy.label
            ),
        ));
    }
}
