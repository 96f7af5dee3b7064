//! Field openings: each opened value and salt reproduce the commitment in the signed entry;
//! erased fields are reported as such.

use std::collections::BTreeSet;

use ledger_core::hash::field_commitment;

use super::*;

impl<'a> Analysis<'a> {
    /// The openings against the target's commitments.
    pub(super) fn check_openings(&mut self) {
        let target = self.entry_of(self.manifest.target).cloned();
        let mut fields: Vec<FieldReport> = Vec::new();
        if let Some(t) = &target {
            let disclosure = t.body.disclosure();
            for f in disclosure.map(|d| d.fields.as_slice()).unwrap_or_default() {
                fields.push(FieldReport {
                    name: f.name.as_str().to_owned(),
                    status: "not-opened",
                    value: None,
                    erased_at: None,
                });
            }
            match self
                .files
                .get(OPENINGS_FILE)
                .map(|b| serde_json::from_slice::<Openings>(b))
            {
                None => self.checks.fail(
                    CheckName::FieldOpening,
                    format!("{OPENINGS_FILE} is missing"),
                ),
                Some(Err(e)) => self.checks.fail(
                    CheckName::FieldOpening,
                    format!("{OPENINGS_FILE} is not valid: {e}"),
                ),
                Some(Ok(o)) if o.entry != self.manifest.target => self.checks.fail(
                    CheckName::FieldOpening,
                    format!(
                        "{OPENINGS_FILE} is for entry #{}, not the target #{}",
                        o.entry, self.manifest.target
                    ),
                ),
                Some(Ok(o)) => {
                    let mut done = BTreeSet::new();
                    for opening in &o.fields {
                        let name = opening.name();
                        let Some(commit) = disclosure
                            .and_then(|d| d.fields.iter().find(|f| f.name.as_str() == name))
                        else {
                            self.checks.fail(
                                CheckName::FieldOpening,
                                format!(
                                    "{name:?}: entry #{} records no such field",
                                    self.manifest.target
                                ),
                            );
                            continue;
                        };
                        if !done.insert(name.to_owned()) {
                            self.checks.fail(
                                CheckName::FieldOpening,
                                format!("{name}: listed twice in {OPENINGS_FILE}"),
                            );
                            continue;
                        }
                        let slot = fields.iter_mut().find(|f| f.name == name);
                        match opening {
                            Opening::Opened {
                                commitment,
                                value,
                                salt,
                                ..
                            } => {
                                let salt_bytes = hex::decode(salt)
                                    .ok()
                                    .and_then(|s| <[u8; 32]>::try_from(s).ok());
                                let Some(salt_bytes) = salt_bytes else {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!("{name}: the salt is not 32 bytes of hex"),
                                    );
                                    continue;
                                };
                                let computed =
                                    field_commitment(&salt_bytes, name, value.as_bytes());
                                if computed != commit.commitment {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: value {value:?} with its salt gives \
                                             commitment {} but the signed entry records {}: the \
                                             value or the salt is not the one committed \
                                             to",
                                            hex::encode(computed),
                                            hex::encode(commit.commitment)
                                        ),
                                    );
                                } else if commitment.to_ascii_lowercase()
                                    != hex::encode(commit.commitment)
                                {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: {OPENINGS_FILE} states commitment \
                                             {commitment} but the entry records {}",
                                            hex::encode(commit.commitment)
                                        ),
                                    );
                                } else {
                                    self.checks.pass(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name} = {value:?}: value and salt reproduce the \
                                         commitment in the signed entry"
                                        ),
                                    );
                                    if let Some(s) = slot {
                                        s.status = "opened";
                                        s.value = Some(value.clone());
                                    }
                                }
                            }
                            Opening::Erased {
                                commitment,
                                erased_at,
                                ..
                            } => {
                                if commitment.to_ascii_lowercase() != hex::encode(commit.commitment)
                                {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: {OPENINGS_FILE} states commitment \
                                             {commitment} but the entry records {}",
                                            hex::encode(commit.commitment)
                                        ),
                                    );
                                    continue;
                                }
                                // Only a signed erasure entry in the bundle backs "erased".
                                let target = self.manifest.target;
                                let backing = self
                                    .items
                                    .iter()
                                    .filter_map(|i| i.entry.as_ref())
                                    .find(|e| match &e.body {
                                        Body::Erasure(x) => x.fields.iter().any(|f| {
                                            f.entry.0 == target && f.field.as_str() == name
                                        }),
                                        _ => false,
                                    });
                                let Some(backing) = backing else {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: {OPENINGS_FILE} says the value was erased, but \
                                             the bundle holds no erasure entry recording it (an \
                                             unbacked \"erased\"); the value may simply have been \
                                             withheld"
                                        ),
                                    );
                                    continue;
                                };
                                if backing.recorded_at != *erased_at {
                                    self.checks.fail(
                                        CheckName::FieldOpening,
                                        format!(
                                            "{name}: {OPENINGS_FILE} says it was erased at {erased_at} \
                                             but erasure entry #{} was recorded at {}",
                                            backing.seq.0, backing.recorded_at
                                        ),
                                    );
                                    continue;
                                }
                                self.checks.pass(
                                    CheckName::FieldOpening,
                                    format!(
                                        "{name}: erased on {} by {} (erasure entry #{}), cannot be \
                                         opened (its commitment stays in the signed entry)",
                                        erased_at.london_date(),
                                        backing.signer.party,
                                        backing.seq.0
                                    ),
                                );
                                if let Some(s) = slot {
                                    s.status = "erased";
                                    s.erased_at = Some(*erased_at);
                                }
                            }
                        }
                    }
                }
            }
        }
        self.report.fields = fields;
    }
}
