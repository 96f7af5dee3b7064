//! Reference checks: every entry in the bundle is the target, the genesis, a key change, or
//! refers to the target.

use ledger_core::model::Body;

use super::*;

impl<'a> Analysis<'a> {
    /// Every entry must be in the bundle for its stated reason.
    pub(super) fn check_references(&mut self) -> Related {
        let target = self.entry_of(self.manifest.target).cloned();
        if target.is_none() {
            self.checks.fail(
                CheckName::References,
                format!(
                    "the target entry #{} is not in the bundle (or cannot be read)",
                    self.manifest.target
                ),
            );
        }
        let mut related = Related::default();
        if let Some(t) = &target {
            if let Body::Disclosure(d) = &t.body
                && d.from != t.signer.party
            {
                self.checks.fail(
                    CheckName::References,
                    format!(
                        "#{}: a disclosure from {} signed by {}",
                        t.seq.0, d.from, t.signer.party
                    ),
                );
            }
            for item in &self.items {
                let Some(e) = &item.entry else { continue };
                let seq = item.seq;
                let role = derive_role(self.manifest.target, t, e);
                let problem = match (&e.body, role) {
                    (_, None) => Some(format!(
                        "#{seq} ({}) has no place in a bundle for #{}: it neither is the genesis \
                     entry, a key change, nor refers to the target",
                        ledger_core::describe::one_line(e)
                            .split_whitespace()
                            .skip(2)
                            .collect::<Vec<_>>()
                            .join(" "),
                        self.manifest.target
                    )),
                    (Body::Acknowledgement(_), Some(Role::Acknowledgement)) => match &t.body {
                        Body::Disclosure(d) if d.to != e.signer.party => Some(format!(
                            "#{seq} acknowledges #{} but is signed by {}, not the recipient {}",
                            self.manifest.target, e.signer.party, d.to
                        )),
                        Body::Disclosure(_) if seq > self.manifest.target => None,
                        Body::Disclosure(_) => Some(format!(
                            "#{seq} acknowledges a later entry #{}",
                            self.manifest.target
                        )),
                        _ => Some(format!(
                            "#{seq} acknowledges #{}, which is not a disclosure",
                            self.manifest.target
                        )),
                    },
                    (Body::Correction(_), Some(Role::Correction)) => {
                        if e.signer.party != t.signer.party {
                            Some(format!(
                                "#{seq} corrects #{} but is signed by {}, who did not record it",
                                self.manifest.target, e.signer.party
                            ))
                        } else if seq <= self.manifest.target {
                            Some(format!("#{seq} corrects a later entry"))
                        } else {
                            None
                        }
                    }
                    (_, Some(Role::Erasure | Role::Confirmation))
                        if seq <= self.manifest.target =>
                    {
                        Some(format!(
                            "#{seq} refers to a later entry #{}",
                            self.manifest.target
                        ))
                    }
                    (Body::Disposition(d), Some(Role::Disposition))
                        if d.entry.0 != self.manifest.target =>
                    {
                        // It names the target (a correction) as the remedy of a flag on another
                        // entry: its own rules were checked when it was recorded.
                        (seq <= self.manifest.target).then(|| {
                            format!("#{seq} names a later correction #{}", self.manifest.target)
                        })
                    }
                    (Body::Disposition(_), Some(Role::Disposition)) => {
                        let party_to = match &t.body {
                            Body::Disclosure(d) => {
                                d.from == e.signer.party || d.to == e.signer.party
                            }
                            Body::Correction(c) => c
                                .replacement
                                .as_ref()
                                .is_none_or(|d| d.from == e.signer.party || d.to == e.signer.party),
                            _ => true,
                        };
                        if seq <= self.manifest.target {
                            Some(format!("#{seq} disposes of a flag on a later entry"))
                        } else if !party_to {
                            Some(format!(
                                "#{seq} disposes of a flag on #{} but is signed by {}, not a party \
                                 to the disclosure",
                                self.manifest.target, e.signer.party
                            ))
                        } else {
                            None
                        }
                    }
                    (_, Some(Role::Superseded)) => {
                        if e.signer.party != t.signer.party {
                            Some(format!(
                                "#{} corrects #{seq}, which another party recorded",
                                self.manifest.target
                            ))
                        } else {
                            None
                        }
                    }
                    _ => None,
                };
                if let Some(p) = problem {
                    self.checks.fail(CheckName::References, p);
                    continue;
                }
                let Some(role) = role else { continue };
                if role != item.claimed.role {
                    self.checks.fail(
                        CheckName::References,
                        format!(
                            "#{seq} is in the bundle as {} but the manifest calls it {}",
                            role.as_str(),
                            item.claimed.role.as_str()
                        ),
                    );
                    continue;
                }
                match role {
                    Role::Acknowledgement => related.acks.push(seq),
                    Role::Correction => related.corrections.push(seq),
                    Role::Superseded => related.superseded = Some(seq),
                    Role::Disposition => related.dispositions.push(seq),
                    Role::Erasure => related.erasures.push(seq),
                    Role::Confirmation => related.confirmations.push(seq),
                    _ => {}
                }
                if let Some((cp, _)) = &self.checkpoint
                    && seq >= cp.size
                {
                    self.checks.fail(
                        CheckName::References,
                        format!("#{seq} lies beyond the checkpoint's {} entries", cp.size),
                    );
                }
            }
            if let Body::Correction(c) = &t.body
                && related.superseded.is_none()
            {
                self.checks.fail(
                    CheckName::References,
                    format!(
                        "#{} corrects {}, which is not in the bundle",
                        self.manifest.target, c.supersedes
                    ),
                );
            }
            if !self.checks.any_failed(CheckName::References) {
                self.checks.pass(
                    CheckName::References,
                    format!(
                        "every entry is the target, the genesis entry, a key change, or refers to \
                         the target ({} acknowledgement{}, {} correction{}, {} flag disposition{})",
                        related.acks.len(),
                        if related.acks.len() == 1 { "" } else { "s" },
                        related.corrections.len(),
                        if related.corrections.len() == 1 {
                            ""
                        } else {
                            "s"
                        },
                        related.dispositions.len(),
                        if related.dispositions.len() == 1 {
                            ""
                        } else {
                            "s"
                        }
                    ),
                );
            }
        }
        related
    }
}
