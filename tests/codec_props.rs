//! Property tests of the codec: every entry round-trips exactly; arbitrary and mutated bytes
//! never panic the decoder, and whatever decodes re-encodes to the same bytes.

use disclosure_ledger::codec::{decode_entry, encode_entry};
use disclosure_ledger::model::*;
use proptest::prelude::*;

fn slug() -> impl Strategy<Value = String> + Clone {
    "[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,6})?"
}

fn party() -> impl Strategy<Value = PartyId> {
    prop_oneof![Just("ICO"), Just("OFCOM"), Just("CMA"), Just("FCA")]
        .prop_map(|p| PartyId::new(p).unwrap())
}

fn company() -> impl Strategy<Value = CompanyRef> + Clone {
    (slug(), ".{0,30}").prop_map(|(id, name)| CompanyRef {
        id: CompanyId::new(id).unwrap(),
        name,
    })
}

fn themes() -> impl Strategy<Value = Vec<ThemeId>> + Clone {
    prop::collection::vec(slug().prop_map(|t| ThemeId::new(t).unwrap()), 0..3)
}

fn gateway() -> impl Strategy<Value = Gateway> {
    prop_oneof![
        (
            "[A-Z][a-z]{2,12}( [A-Z][a-z]{2,8})? Act",
            1900u16..2100,
            "[1-9][0-9]{0,2}[A-Z]?",
            prop::collection::vec("[0-9a-z]{1,3}", 0..3)
        )
            .prop_map(
                |(act, year, section, subsections)| Gateway::Statutory(Citation {
                    act,
                    year,
                    section,
                    subsections
                })
            ),
        ".{1,20}".prop_map(|reference| Gateway::Consent { reference }),
        ".{1,20}".prop_map(|citation| Gateway::Other { citation }),
    ]
}

fn category() -> impl Strategy<Value = Category> {
    let companies = prop::collection::vec(company(), 0..3);
    prop_oneof![
        (companies.clone(), themes(), any::<bool>()).prop_map(
            |(companies, themes, information_notice)| Category::InformationRequest {
                companies,
                themes,
                information_notice
            }
        ),
        (companies.clone(), themes())
            .prop_map(|(companies, themes)| Category::StakeholderMeeting { companies, themes }),
        (companies.clone(), themes(), proptest::option::of(".{0,20}")).prop_map(
            |(companies, themes, source)| Category::PublicInformation {
                companies,
                themes,
                source
            }
        ),
        themes().prop_map(|themes| Category::ThemeOnly { themes }),
        (company(), themes())
            .prop_map(|(company, themes)| Category::ThemeAndCompany { company, themes }),
        (
            companies,
            themes(),
            proptest::option::of((".{1,10}", ".{1,10}"))
        )
            .prop_map(|(companies, themes, a)| Category::CaseByCase {
                companies,
                themes,
                assessment: a.map(|(reference, approver)| Assessment {
                    reference,
                    approver
                }),
            }),
    ]
}

/// The fields format 2 adds to a disclosure: legal basis, case decision, joint engagement.
fn format2_parts() -> BoxedStrategy<(LegalBasis, Option<CaseDecision>, Option<String>)> {
    let text = || proptest::option::of(".{0,10}");
    (
        (text(), text(), text(), text()),
        proptest::option::of((0usize..3, ".{0,10}")),
        text(),
    )
        .prop_map(
            |((function, necessity, power, agreement), decision, joint)| {
                (
                    LegalBasis {
                        function,
                        necessity,
                        power,
                        agreement,
                    },
                    decision.map(|(i, reasoning)| CaseDecision {
                        outcome: Outcome::ALL[i],
                        reasoning,
                    }),
                    joint,
                )
            },
        )
        .boxed()
}

fn disclosure() -> BoxedStrategy<Disclosure> {
    (
        party(),
        party(),
        any::<i64>(),
        gateway(),
        category(),
        prop::collection::vec(("[a-z][a-z_]{0,12}", any::<[u8; 32]>()), 0..4),
        proptest::option::of(".{0,20}"),
        proptest::option::of((proptest::option::of(party()), ".{0,20}")),
        ".{0,20}",
    )
        .boxed()
        .prop_flat_map(|base| format2_parts().prop_map(move |extra| (base.clone(), extra)))
        .prop_map(
            |(
                (from, to, at, gateway, category, fields, skipped, relevance, officer_role),
                (basis, decision, joint_engagement),
            )| Disclosure {
                from,
                to,
                disclosed_at: Timestamp(at),
                gateway,
                category,
                fields: fields
                    .into_iter()
                    .map(|(n, c)| FieldCommitment {
                        name: FieldName::new(n).unwrap(),
                        commitment: c,
                    })
                    .collect(),
                notification: match skipped {
                    Some(reason) => Notification::Skipped { reason },
                    None => Notification::Notified,
                },
                relevance: relevance.map(|(party, words)| match party {
                    Some(party) => Relevance::Limb { party, words },
                    None => Relevance::Statement(words),
                }),
                officer_role,
                basis,
                decision,
                joint_engagement,
            },
        )
        .boxed()
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        disclosure().prop_map(Body::Disclosure),
        (any::<u64>(), any::<i64>()).prop_map(|(s, t)| Body::Acknowledgement(Acknowledgement {
            disclosure: Seq(s),
            received_at: Timestamp(t)
        })),
        (any::<u64>(), ".{0,20}", proptest::option::of(disclosure())).prop_map(
            |(s, reason, replacement)| Body::Correction(Correction {
                supersedes: Seq(s),
                reason,
                replacement
            })
        ),
        (slug(), ".{0,20}", ".{0,40}").prop_map(|(id, title, description)| Body::ThemeDeclared(
            ThemeDeclared {
                id: ThemeId::new(id).unwrap(),
                title,
                description
            }
        )),
        (company(), ".{0,20}", proptest::option::of(party())).prop_map(
            |(company, rationale, with)| Body::DesignationProposed(DesignationProposed {
                company,
                rationale,
                with
            })
        ),
        (any::<u64>(), any::<i64>()).prop_map(|(s, t)| Body::Confirmed(Confirmed {
            proposal: Seq(s),
            effective_from: Timestamp(t)
        })),
        (party(), any::<[u8; 4]>(), ".{0,20}").prop_map(|(party, id, reason)| Body::KeyRevoked(
            KeyRevoked {
                party,
                key_id: KeyId(id),
                reason
            }
        )),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        any::<u64>(),
        any::<[u8; 32]>(),
        any::<i64>(),
        party(),
        any::<[u8; 4]>(),
        body(),
    )
        .prop_map(|(seq, prev, at, p, k, body)| Entry {
            version: FORMAT_VERSION,
            seq: Seq(seq),
            prev: EntryHash(prev),
            recorded_at: Timestamp(at),
            signer: Signer {
                party: p,
                key_id: KeyId(k),
            },
            body,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("DLEDGER_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn entries_round_trip(e in entry()) {
        let bytes = encode_entry(&e).unwrap();
        let back = decode_entry(&bytes).unwrap();
        prop_assert_eq!(&back, &e);
        prop_assert_eq!(encode_entry(&back).unwrap(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(e) = decode_entry(&bytes) {
            prop_assert_eq!(encode_entry(&e).unwrap(), bytes);
        }
    }

    #[test]
    fn mutated_entries_never_panic_and_stay_canonical(e in entry(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut bytes = encode_entry(&e).unwrap();
        for (i, x) in flips {
            let i = i.index(bytes.len());
            bytes[i] ^= x | 1;
        }
        if let Ok(d) = decode_entry(&bytes) {
            // Whatever still decodes is the canonical encoding of what it decodes to.
            prop_assert_eq!(encode_entry(&d).unwrap(), bytes);
        }
    }
}
