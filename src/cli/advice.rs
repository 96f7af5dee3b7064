//! What to type next: the command-line advice that the library's error messages leave out.
//! The library says what is wrong in the ledger's terms; this adds the `dledger` command or
//! flag that helps, matched on the error's variant. `main` prints it after the error.

use disclosure_ledger::ledger::{AppendError, InitError, OpenError, ReindexError};
use disclosure_ledger::witness::WitnessError;

/// For a ledger that does not replay cleanly.
const VERIFY: &str = "run `dledger verify` for the full report";

/// The advice for `err`, from the first error along its chain of causes that has some.
pub(crate) fn advice(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<AppendError>() {
            append(e)
        } else if let Some(e) = cause.downcast_ref::<OpenError>() {
            matches!(e, OpenError::Damaged { .. }).then(|| VERIFY.to_owned())
        } else if let Some(e) = cause.downcast_ref::<InitError>() {
            matches!(e, InitError::SignerNotAParty { .. }).then(|| {
                "sign the genesis entry with the key of a party named in --party (--key FILE)"
                    .to_owned()
            })
        } else if let Some(e) = cause.downcast_ref::<ReindexError>() {
            matches!(e, ReindexError::Damaged { .. }).then(|| VERIFY.to_owned())
        } else if let Some(e) = cause.downcast_ref::<WitnessError>() {
            matches!(e, WitnessError::Damaged(_)).then(|| VERIFY.to_owned())
        } else {
            None
        }
    })
}

/// The advice for a refused append.
fn append(e: &AppendError) -> Option<String> {
    Some(match e {
        AppendError::UnknownTheme { theme, .. } => format!(
            "check the id, or declare it first with `dledger theme declare {theme} --title ...`"
        ),
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

    #[test]
    fn errors_without_advice_get_none() {
        assert_eq!(advice(&anyhow::anyhow!("something else")), None);
        let same = AppendError::SameParty(PartyId::new("ICO").unwrap());
        assert_eq!(advice_for(same), None);
    }
}
