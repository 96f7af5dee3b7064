//! What to type next: the command-line advice that the library's error messages leave out.
//! The library says what is wrong in the ledger's terms; this adds the `dledger` command or
//! flag that helps, matched on the error's variant. `main` prints it after the error.

use disclosure_ledger::evidence::EvidenceError;
use disclosure_ledger::export::{ExportError, ImportError};
use disclosure_ledger::incremental::IncrementalError;
use disclosure_ledger::input::InputError;
use disclosure_ledger::keys::KeyError;
use disclosure_ledger::ledger::{AppendError, InitError, OpenError, ReindexError};
use disclosure_ledger::review::ReviewError;
use disclosure_ledger::store::{OpenError as FileError, StoreError};
use disclosure_ledger::upgrade::UpgradeError;
use disclosure_ledger::witness::WitnessError;

/// For a ledger that does not replay cleanly.
const VERIFY: &str = "run `dledger verify` for the full report";

/// The advice for `err`, from the first error along its chain of causes that has some.
pub(crate) fn advice(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<AppendError>() {
            append(e)
        } else if let Some(e) = cause.downcast_ref::<OpenError>() {
            match e {
                OpenError::Store(f) => file(f),
                OpenError::Damaged { .. } => Some(VERIFY.to_owned()),
                _ => None,
            }
        } else if let Some(e) = cause.downcast_ref::<InitError>() {
            match e {
                InitError::Open(f) => file(f),
                InitError::SignerNotAParty { .. } => Some(
                    "sign the genesis entry with the key of a party named in --party (--key FILE)"
                        .to_owned(),
                ),
                _ => None,
            }
        } else if let Some(e) = cause.downcast_ref::<ReindexError>() {
            match e {
                ReindexError::Open(f) => file(f),
                ReindexError::Damaged { .. } => Some(VERIFY.to_owned()),
                _ => None,
            }
        } else if let Some(e) = cause.downcast_ref::<IncrementalError>() {
            incremental(e)
        } else if let Some(e) = cause.downcast_ref::<WitnessError>() {
            witness(e)
        } else if let Some(e) = cause.downcast_ref::<FileError>() {
            file(e)
        } else if let Some(e) = cause.downcast_ref::<EvidenceError>() {
            evidence(e)
        } else if let Some(e) = cause.downcast_ref::<InputError>() {
            input(e)
        } else if let Some(e) = cause.downcast_ref::<KeyError>() {
            matches!(e, KeyError::Malformed { .. })
                .then(|| "make keys with `dledger keygen NAME`".to_owned())
        } else if let Some(e) = cause.downcast_ref::<ExportError>() {
            matches!(e, ExportError::Damaged { .. }).then(|| VERIFY.to_owned())
        } else if let Some(e) = cause.downcast_ref::<ImportError>() {
            matches!(e, ImportError::Invalid { .. })
                .then(|| "run `dledger verify` on the source ledger".to_owned())
        } else if let Some(e) = cause.downcast_ref::<UpgradeError>() {
            matches!(e, UpgradeError::Invalid { .. }).then(|| {
                "run `dledger verify` on the old file with the dledger that wrote it, and restore \
                 it from a backup or import the other party's export"
                    .to_owned()
            })
        } else if let Some(e) = cause.downcast_ref::<ReviewError>() {
            matches!(e, ReviewError::Range { .. }).then(|| "swap --from and --to".to_owned())
        } else if let Some(e) = cause.downcast_ref::<StoreError>() {
            e.to_string()
                .contains("references index")
                .then(|| "rebuild it with `dledger reindex LEDGER`, then verify".to_owned())
        } else {
            None
        }
    })
}

/// The advice for a ledger file that cannot be opened.
fn file(e: &FileError) -> Option<String> {
    Some(match e {
        FileError::NotFound { path } => format!(
            "check the path, or create a ledger with `dledger init {} ...`",
            path.display()
        ),
        FileError::NotALedger { .. } => "check you passed the right file (ledgers are made by \
                                         `dledger init` or `dledger import`)"
            .to_owned(),
        FileError::Locked { .. } => {
            "wait for it to finish, or pass --wait SECONDS to retry for a while".to_owned()
        }
        FileError::OlderVersion { path, .. } => format!(
            "convert it with `dledger upgrade {} NEW.ledger` (which leaves this file untouched) \
             and use the new file; if that fails, export the ledger with the dledger that wrote \
             it and `dledger import` the export",
            path.display()
        ),
        _ => return None,
    })
}

/// The advice for a verification state that cannot be used.
fn incremental(e: &IncrementalError) -> Option<String> {
    Some(match e {
        IncrementalError::BadState { path, .. } | IncrementalError::UnsafeState { path, .. } => {
            format!(
                "run a full `dledger verify` to check every entry; then delete {} (or pass \
                 another --state FILE) and `dledger verify --since-checkpoint` writes a new state",
                path.display()
            )
        }
        IncrementalError::StateMismatch { .. } => "run a full `dledger verify` to check every \
            entry of this ledger; pass --state FILE only with the state of this same ledger"
            .to_owned(),
        IncrementalError::NoStateDir => {
            "set XDG_STATE_HOME or HOME, or pass --state FILE".to_owned()
        }
        IncrementalError::NoGenesis => VERIFY.to_owned(),
        _ => return None,
    })
}

/// The advice for a checkpoint that could not be made or cosigned.
fn witness(e: &WitnessError) -> Option<String> {
    Some(match e {
        WitnessError::Open(f) => return file(f),
        WitnessError::Damaged(_) | WitnessError::Tree(_) => VERIFY.to_owned(),
        WitnessError::UnknownKey(_) => "sign with a key listed by `dledger list --keys`".to_owned(),
        _ => return None,
    })
}

/// The advice for an evidence bundle that could not be built.
fn evidence(e: &EvidenceError) -> Option<String> {
    Some(match e {
        EvidenceError::NoSuchEntry { .. } => "check the number with `dledger list`".to_owned(),
        EvidenceError::NoCosignedCheckpoint { .. } => "make a checkpoint with `dledger \
            checkpoint --key YOUR.key -o checkpoint.note`, have the other regulator cosign it \
            with `dledger cosign checkpoint.note --key THEIR.key`, then run `dledger evidence` \
            again"
            .to_owned(),
        EvidenceError::NoFields { .. } => "--open applies to disclosures and to corrections \
            that carry a replacement disclosure"
            .to_owned(),
        EvidenceError::NoValue { .. } => "leave the field out of --open, or restore the ledger \
            file from a backup"
            .to_owned(),
        EvidenceError::Damaged { .. }
        | EvidenceError::SelfCheck { .. }
        | EvidenceError::Replay(_)
        | EvidenceError::Proof(_) => VERIFY.to_owned(),
        _ => return None,
    })
}

/// The advice for disclosure input that is incomplete.
fn input(e: &InputError) -> Option<String> {
    Some(match e {
        InputError::Json(_) => "see `dledger disclose --help` for the fields".to_owned(),
        InputError::MissingGateway => "pass --gateway \"Communications Act 2003 s393(2)(a)\" \
            (Ofcom) or --gateway \"Data Protection Act 2018 s132(2)(c)\" (ICO), or \"gateway\" in \
            the JSON"
            .to_owned(),
        InputError::NeedsCompany(_) => "add --company ID (or \"companies\" in the JSON)".to_owned(),
        InputError::NeedsTheme(_) => "add --theme ID (or \"themes\" in the JSON)".to_owned(),
        _ => return None,
    })
}

/// The advice for a refused append.
fn append(e: &AppendError) -> Option<String> {
    Some(match e {
        AppendError::UnknownCompany { company } => format!(
            "check the id with `dledger list --companies`, or introduce it with its name as \
             --company \"{company}=Company Name Ltd\""
        ),
        AppendError::CompanyNameMismatch { company, .. } => format!(
            "pass just --company {company}, or choose a different id for a different company"
        ),
        AppendError::WrongKey { .. } | AppendError::KeyIdCollision { .. } => {
            "give the key file with --key FILE".to_owned()
        }
        AppendError::UnregisteredKey { .. } => {
            "sign with a key listed by `dledger list --keys`".to_owned()
        }
        AppendError::BadReference { .. } => "check the number with `dledger list`".to_owned(),
        AppendError::ThemeNotInForce(_) => "see `dledger list --themes`".to_owned(),
        AppendError::ProposalOpen(id) => {
            format!("the other party confirms it with `dledger company confirm {id}`")
        }
        AppendError::NoOpenProposal(id) => {
            format!("one party proposes it first with `dledger company propose {id}`")
        }
        AppendError::Damaged { .. } => VERIFY.to_owned(),
        AppendError::Open(f) => return file(f),
        AppendError::Input(i) => return input(i),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;
    use disclosure_ledger::bulk::BulkError;
    use disclosure_ledger::model::{CompanyId, KeyId, PartyId, Seq};

    use super::*;

    fn advice_for(e: impl std::error::Error + Send + Sync + 'static) -> Option<String> {
        advice(&anyhow::Error::new(e))
    }

    #[test]
    fn advice_is_found_by_variant_along_the_chain() {
        let company = || CompanyId::new("brightloop").unwrap();
        let wrapped = Err::<(), _>(AppendError::ProposalOpen(company()))
            .context("proposing")
            .unwrap_err();
        assert_eq!(
            advice(&wrapped).as_deref(),
            Some("the other party confirms it with `dledger company confirm brightloop`")
        );
        let damaged = || AppendError::Damaged {
            seq: Seq(3),
            reason: "r".into(),
        };
        let bulk = BulkError::Write {
            committed: 0,
            source: damaged(),
        };
        assert_eq!(advice_for(bulk).as_deref(), Some(VERIFY));
        let open = OpenError::Damaged {
            seq: Seq(3),
            reason: "r".into(),
        };
        assert_eq!(advice_for(open).as_deref(), Some(VERIFY));
        let init = InitError::SignerNotAParty {
            key_name: "k".into(),
            key_id: KeyId([0; 4]),
        };
        assert!(advice_for(init).is_some_and(|a| a.contains("--party")));
        assert!(
            advice_for(AppendError::UnknownCompany { company: company() })
                .is_some_and(|a| a.contains("`dledger list --companies`"))
        );
    }

    /// A locked or missing file is advised on however deep it is wrapped: `#[error(transparent)]`
    /// wrappers skip the inner error in the chain of causes, so each wrapper is unpacked here.
    #[test]
    fn file_errors_are_advised_through_every_wrapper() {
        let locked = || FileError::Locked {
            path: "x.ledger".into(),
        };
        let wait = |a: Option<String>| a.is_some_and(|a| a.contains("--wait"));
        assert!(wait(advice_for(locked())));
        assert!(wait(advice_for(AppendError::Open(locked()))));
        assert!(wait(advice_for(OpenError::Store(locked()))));
        assert!(wait(advice_for(WitnessError::Open(locked()))));
        let missing = AppendError::Open(FileError::NotFound {
            path: "x.ledger".into(),
        });
        assert!(advice_for(missing).is_some_and(|a| a.contains("`dledger init x.ledger ...`")));
    }

    #[test]
    fn errors_without_advice_get_none() {
        assert_eq!(advice(&anyhow::anyhow!("something else")), None);
        let same = AppendError::SameParty(PartyId::new("ICO").unwrap());
        assert_eq!(advice_for(same), None);
    }
}
