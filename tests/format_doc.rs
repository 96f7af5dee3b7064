//! An independent check that docs/FORMAT.md describes the bytes the code writes.
//!
//! The encoder here was written from the document alone: plain `Vec<u8>` pushes, no bincode, no
//! serde. If it and `codec::encode_entry` ever disagree, the document or the code is wrong.
//! The hashes, key id and signature of the document's worked example are recomputed the same
//! way, with SHA-256 and Ed25519 used directly.

use std::fs;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use disclosure_ledger::codec::{decode_entry, encode_entry};
use disclosure_ledger::model::{
    Acknowledgement, Body, Entry, EntryHash, KeyId, PartyId, Seq, Signer, ThemeDeclared, ThemeId,
    Timestamp,
};
use disclosure_ledger::store::{Access, Store};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// The hand-rolled writer: FORMAT.md section 1.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// `[u8; N]`: the bytes, no length.
    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
    /// `String`: u64 byte length, then the UTF-8 bytes.
    fn string(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64).raw(s.as_bytes())
    }
}

/// The plain values of an entry envelope, as in FORMAT.md section 2.
struct Envelope<'a> {
    seq: u64,
    prev: [u8; 32],
    recorded_at: i64,
    party: &'a str,
    key_id: [u8; 4],
}

/// Envelope, then the body variant index (FORMAT.md section 3).
fn envelope(e: &Envelope, body_index: u32) -> Writer {
    let mut w = Writer::default();
    w.u16(1) // version
        .u64(e.seq)
        .raw(&e.prev)
        .i64(e.recorded_at)
        .string(e.party) // signer.party
        .raw(&e.key_id) // signer.key_id
        .u32(body_index);
    w
}

/// Acknowledgement: body index 11, then `disclosure: u64`, `received_at: i64`.
fn hand_acknowledgement(e: &Envelope, disclosure: u64, received_at: i64) -> Vec<u8> {
    let mut w = envelope(e, 11);
    w.u64(disclosure).i64(received_at);
    w.0
}

/// ThemeDeclared: body index 5, then `id`, `title`, `description`, each a String.
fn hand_theme_declared(e: &Envelope, id: &str, title: &str, description: &str) -> Vec<u8> {
    let mut w = envelope(e, 5);
    w.string(id).string(title).string(description);
    w.0
}

/// The same entry through the model, for `codec::encode_entry`.
fn model_entry(e: &Envelope, body: Body) -> Entry {
    Entry {
        version: 1,
        seq: Seq(e.seq),
        prev: EntryHash(e.prev),
        recorded_at: Timestamp(e.recorded_at),
        signer: Signer {
            party: PartyId::new(e.party).unwrap(),
            key_id: KeyId(e.key_id),
        },
        body,
    }
}

fn ack_body(disclosure: u64, received_at: i64) -> Body {
    Body::Acknowledgement(Acknowledgement {
        disclosure: Seq(disclosure),
        received_at: Timestamp(received_at),
    })
}

fn theme_body(id: &str, title: &str, description: &str) -> Body {
    Body::ThemeDeclared(ThemeDeclared {
        id: ThemeId::new(id).unwrap(),
        title: title.into(),
        description: description.into(),
    })
}

fn envelopes() -> Vec<(&'static str, Envelope<'static>)> {
    let mut counting = [0u8; 32];
    for (i, b) in counting.iter_mut().enumerate() {
        *b = i as u8;
    }
    vec![
        (
            "typical",
            Envelope {
                seq: 25,
                prev: counting,
                recorded_at: 1_705_416_411,
                party: "ICO",
                key_id: [0x6d, 0x09, 0x8b, 0x5d],
            },
        ),
        (
            "genesis-like: seq 0, zero prev, epoch",
            Envelope {
                seq: 0,
                prev: [0; 32],
                recorded_at: 0,
                party: "OFCOM",
                key_id: [0; 4],
            },
        ),
        (
            "extremes: u64::MAX seq, negative time, 16-byte party",
            Envelope {
                seq: u64::MAX,
                prev: [0xff; 32],
                recorded_at: -1,
                party: "ABCDEFGHIJKLMNOP",
                key_id: [0xff; 4],
            },
        ),
        (
            "i64::MIN time, shortest party",
            Envelope {
                seq: 1 << 40,
                prev: counting,
                recorded_at: i64::MIN,
                party: "C2",
                key_id: [1, 2, 3, 4],
            },
        ),
    ]
}

#[test]
fn acknowledgement_matches_the_codec() {
    for (name, env) in envelopes() {
        for (disclosure, received_at) in [(23, 1_705_416_411), (0, -86_400), (u64::MAX, i64::MAX)] {
            let hand = hand_acknowledgement(&env, disclosure, received_at);
            let entry = model_entry(&env, ack_body(disclosure, received_at));
            let code = encode_entry(&entry).unwrap();
            assert_eq!(
                hex::encode(&hand),
                hex::encode(&code),
                "{name}: acknowledgement of {disclosure}"
            );
            // FORMAT.md 3.11: 66 + P bytes of envelope, then a 16-byte payload.
            assert_eq!(hand.len(), 66 + env.party.len() + 16, "{name}");
            assert_eq!(decode_entry(&hand).unwrap(), entry, "{name}");
        }
    }
}

#[test]
fn theme_declared_matches_the_codec() {
    let texts = [
        (
            "age-assurance",
            "Age assurance",
            "Age estimation and verification used to tailor services to users' ages.",
        ),
        // Lengths count UTF-8 bytes: "—" is 3 bytes, "§" 2, "🙂" 4.
        ("a", "Épreuve d'âge — §2", "🙂"),
        ("x-1", "", ""),
        (
            "a-very-long-theme-id-that-is-exactly-sixty-four-bytes-long-ok-ok",
            "t",
            "d",
        ),
    ];
    for (name, env) in envelopes() {
        for (id, title, description) in texts {
            let hand = hand_theme_declared(&env, id, title, description);
            let entry = model_entry(&env, theme_body(id, title, description));
            let code = encode_entry(&entry).unwrap();
            assert_eq!(hex::encode(&hand), hex::encode(&code), "{name}: theme {id}");
            assert_eq!(decode_entry(&hand).unwrap(), entry, "{name}: theme {id}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The worked example of FORMAT.md section 12, against the bundled sample ledger.
// ---------------------------------------------------------------------------------------------

const DOC: &str = include_str!("../docs/FORMAT.md");

/// Entry #1 of fixtures/sample.ledger, from the values in the document.
fn example_theme_declared() -> Vec<u8> {
    let env = Envelope {
        seq: 1,
        prev: hex::decode("3a6f88514dd37bb993c788137d9f4cab1c8b2b8e6eef119564640abdc13b7765")
            .unwrap()
            .try_into()
            .unwrap(),
        recorded_at: 1_704_708_000, // 2024-01-08T10:00:00Z
        party: "ICO",
        key_id: [0x6d, 0x09, 0x8b, 0x5d],
    };
    hand_theme_declared(
        &env,
        "age-assurance",
        "Age assurance",
        "Age estimation and verification used to tailor services to users' ages.",
    )
}

/// Entry #25 of fixtures/sample.ledger, from the values in the document.
fn example_acknowledgement() -> Vec<u8> {
    let env = Envelope {
        seq: 25,
        prev: hex::decode("5d4a842f23991f32813c915ff141099aac510c6985432ab0687381a1898461a0")
            .unwrap()
            .try_into()
            .unwrap(),
        recorded_at: 1_705_416_411, // 2024-01-16T14:46:51Z
        party: "ICO",
        key_id: [0x6d, 0x09, 0x8b, 0x5d],
    };
    hand_acknowledgement(&env, 23, 1_705_416_411)
}

/// (seq, bytes from the document's values, length the document states, hash it states).
fn examples() -> [(u64, Vec<u8>, usize, &'static str); 2] {
    [
        (
            1,
            example_theme_declared(),
            190,
            "ce5b4b8081e483aa52429a51f5354954d0a9e1b3bf942ec32e28192bb6a512e9",
        ),
        (
            25,
            example_acknowledgement(),
            85,
            "34801afc4b8d293c9ad62a4ed1d7b721cf35137e63ad785e55fb7e875034ddb9",
        ),
    ]
}

fn entry_hash(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(bytes);
    hex::encode(h.finalize())
}

#[test]
fn worked_examples_agree_with_the_document_and_the_codec() {
    for (seq, hand, len, hash) in examples() {
        assert_eq!(hand.len(), len, "#{seq}: length stated in FORMAT.md");
        assert!(
            DOC.contains(&hex::encode(&hand)),
            "FORMAT.md does not show the hex of entry #{seq} that its own values give"
        );
        let entry = decode_entry(&hand).unwrap();
        assert_eq!(entry.seq, Seq(seq));
        assert_eq!(encode_entry(&entry).unwrap(), hand, "#{seq}: codec");
        assert_eq!(
            entry_hash(&hand),
            hash,
            "#{seq}: entry hash stated in FORMAT.md"
        );
        assert!(DOC.contains(hash));
    }
}

#[test]
fn worked_example_key_id_and_signature() {
    // FORMAT.md section 9: <name>+<key id>+base64(0x01 ‖ public key), split on the first two '+'.
    let vkey = "ico-2024+6d098b5d+AS11xq95sHbcGa2UXwrYsQPGj09DIRHfnMTUQrIv1wdu";
    assert!(DOC.contains(vkey));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let file = fs::read_to_string(root.join("fixtures/keys/ico-2024.vkey")).unwrap();
    assert!(
        file.lines().any(|l| l.trim() == vkey),
        "the demo key file holds this key"
    );
    let mut parts = vkey.splitn(3, '+');
    let (name, id, b64) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let raw = BASE64.decode(b64).unwrap();
    assert_eq!(raw.len(), 33);
    assert_eq!(raw[0], 0x01, "Ed25519 type byte");
    let public: [u8; 32] = raw[1..].try_into().unwrap();
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, 0x01]);
    h.update(public);
    assert_eq!(hex::encode(&h.finalize()[..4]), id, "key id");

    // FORMAT.md section 8: Ed25519 over the context line ‖ entry bytes, checked strictly.
    let sig_b64 =
        "OkvxjETWrsnqZZuMg0YRAdbKEPq6x+3dND6UHjMc66zTuH8qz3Rc4gwFAah6s8kbpXrA9/fQ6+AstL3m0zX+AA==";
    assert!(DOC.contains(sig_b64));
    let signature: [u8; 64] = BASE64.decode(sig_b64).unwrap().try_into().unwrap();
    let signature = Signature::from_bytes(&signature);
    let mut message = b"disclosure-ledger/entry-signature/v1\n".to_vec();
    message.extend_from_slice(&example_theme_declared());
    let key = VerifyingKey::from_bytes(&public).unwrap();
    key.verify_strict(&message, &signature)
        .expect("the worked example's signature verifies under the demo key");
    // And not without the context.
    assert!(
        key.verify_strict(&example_theme_declared(), &signature)
            .is_err()
    );
}

/// Reads records from a copy of the sample ledger (never the committed file itself).
fn sample_records(seqs: &[u64]) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.ledger");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    fs::copy(root.join("fixtures/sample.ledger"), &path).unwrap();
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    seqs.iter()
        .map(|&s| store.get(s).unwrap().expect("entry exists").bytes)
        .collect()
}

/// The worked examples are real entries of the sample ledger. Rebuilding the sample changes its
/// genesis and so every later `prev` (offsets 10..42); every other byte must still match.
#[test]
fn worked_examples_are_entries_of_the_sample_ledger() {
    // Only the first example is taken from the sample ledger; the acknowledgement is constructed.
    for (seq, hand, _, _) in examples().into_iter().filter(|(seq, ..)| *seq == 1) {
        let stored = sample_records(&[seq - 1, seq]);
        let (before, bytes) = (&stored[0], &stored[1]);
        let mut expected = hand.clone();
        expected[10..42].copy_from_slice(&bytes[10..42]);
        assert_eq!(
            hex::encode(bytes),
            hex::encode(&expected),
            "entry #{seq} of fixtures/sample.ledger differs from FORMAT.md section 12 beyond its \
             `prev`: update the worked example from `dledger export -l fixtures/sample.ledger`"
        );
        // FORMAT.md 7.1: `prev` is the entry hash of the entry before.
        assert_eq!(
            hex::encode(&bytes[10..42]),
            entry_hash(before),
            "#{seq}: chain"
        );
    }
}

#[test]
fn field_commitment_known_answer() {
    // FORMAT.md 7.3, computed from the description with SHA-256 directly.
    let mut h = Sha256::new();
    h.update(b"disclosure-ledger/field-commitment/v1\0");
    h.update([0xa1; 32]);
    h.update((b"request_date".len() as u64).to_le_bytes());
    h.update(b"request_date");
    h.update((b"2024-02-27".len() as u64).to_le_bytes());
    h.update(b"2024-02-27");
    let ours = hex::encode(h.finalize());
    assert!(
        DOC.contains(&ours),
        "FORMAT.md states a different known answer"
    );
    assert_eq!(
        hex::encode(disclosure_ledger::hash::field_commitment(
            &[0xa1; 32],
            "request_date",
            b"2024-02-27"
        )),
        ours
    );
}

// ---------------------------------------------------------------------------------------------
// Format 2 (FORMAT.md sections 2–4 and 15): the envelope is format 1's with version 2; the
// bodies whose layout changed or that format 2 adds, written from the document alone.
// ---------------------------------------------------------------------------------------------

/// Envelope with version 2, then the body variant index.
fn envelope_v2(e: &Envelope, body_index: u32) -> Writer {
    let mut w = envelope(e, body_index);
    w.0[0..2].copy_from_slice(&2u16.to_le_bytes());
    w
}

impl Writer {
    /// `Option<String>`: tag 00, or 01 then the string.
    fn opt_string(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            None => self.raw(&[0]),
            Some(s) => self.raw(&[1]).string(s),
        }
    }
}

/// DesignationProposed (3.7), format 2: `company` (CompanyRef: id, name), `rationale`, then
/// `with: Option<PartyId>`.
fn hand_designation_proposed(e: &Envelope, id: &str, name: &str, why: &str, with: &str) -> Vec<u8> {
    let mut w = envelope_v2(e, 7);
    w.string(id).string(name).string(why).raw(&[1]).string(with);
    w.0
}

/// Confirmed (3.13): `proposal: u64`, `effective_from: i64`.
fn hand_confirmed(e: &Envelope, proposal: u64, effective_from: i64) -> Vec<u8> {
    let mut w = envelope_v2(e, 13);
    w.u64(proposal).i64(effective_from);
    w.0
}

/// Disclosure (4.5), format 2: a stakeholder meeting under a gateway not engaged (4.7 index 3),
/// one field, notified, the relevance limb (4.13 index 1), the legal basis (4.14), a case
/// decision none, a joint engagement.
fn hand_disclosure_v2(e: &Envelope) -> Vec<u8> {
    let mut w = envelope_v2(e, 10);
    w.string("OFCOM") // from
        .string("ICO") // to
        .i64(1_709_111_700) // disclosed_at
        .u32(3) // gateway: NotEngaged
        .string("published in the annual report")
        .u32(1) // category: StakeholderMeeting
        .u64(1) // companies
        .string("acme-social")
        .string("Acme Social Ltd")
        .u64(1) // themes
        .string("age-assurance")
        .u64(1) // fields
        .string("meeting_date")
        .raw(&[0xab; 32])
        .u32(0) // notification: Notified
        .raw(&[1]) // relevance: Some
        .u32(1) // Relevance::Limb
        .string("OFCOM")
        .string("relevant to online safety")
        .string("Online Safety Supervision Lead") // officer_role
        .opt_string(Some("online-safety")) // basis.function
        .opt_string(None) // basis.necessity
        .opt_string(Some("information notice")) // basis.power
        .opt_string(Some("ico-ofcom-2024")) // basis.agreement
        .raw(&[0]) // decision: None
        .opt_string(Some("joint call arranged")); // joint_engagement
    w.0
}

fn model_entry_v2(e: &Envelope, body: Body) -> Entry {
    Entry {
        version: 2,
        ..model_entry(e, body)
    }
}

#[test]
fn format_2_bodies_match_the_codec() {
    use disclosure_ledger::model::{
        Category, CompanyRef, Confirmed, DesignationProposed, Disclosure, FieldCommitment, Gateway,
        LegalBasis, Notification, Relevance,
    };
    let company = CompanyRef {
        id: "acme-social".parse().unwrap(),
        name: "Acme Social Ltd".into(),
    };
    for (label, e) in envelopes() {
        let rows: Vec<(&str, Vec<u8>, Body)> = vec![
            (
                "designation-proposed",
                hand_designation_proposed(
                    &e,
                    "acme-social",
                    "Acme Social Ltd",
                    "open inquiry",
                    "ICO",
                ),
                Body::DesignationProposed(DesignationProposed {
                    company: company.clone(),
                    rationale: "open inquiry".into(),
                    with: Some("ICO".parse().unwrap()),
                }),
            ),
            (
                "confirmed",
                hand_confirmed(&e, 7, -86_400),
                Body::Confirmed(Confirmed {
                    proposal: Seq(7),
                    effective_from: Timestamp(-86_400),
                }),
            ),
            (
                "disclosure",
                hand_disclosure_v2(&e),
                Body::Disclosure(Disclosure {
                    from: "OFCOM".parse().unwrap(),
                    to: "ICO".parse().unwrap(),
                    disclosed_at: Timestamp(1_709_111_700),
                    gateway: Gateway::NotEngaged {
                        reason: "published in the annual report".into(),
                    },
                    category: Category::StakeholderMeeting {
                        companies: vec![company.clone()],
                        themes: vec![ThemeId::new("age-assurance").unwrap()],
                    },
                    fields: vec![FieldCommitment {
                        name: "meeting_date".parse().unwrap(),
                        commitment: [0xab; 32],
                    }],
                    notification: Notification::Notified,
                    relevance: Some(Relevance::Limb {
                        party: "OFCOM".parse().unwrap(),
                        words: "relevant to online safety".into(),
                    }),
                    officer_role: "Online Safety Supervision Lead".into(),
                    basis: LegalBasis {
                        function: Some("online-safety".into()),
                        necessity: None,
                        power: Some("information notice".into()),
                        agreement: Some("ico-ofcom-2024".into()),
                    },
                    decision: None,
                    joint_engagement: Some("joint call arranged".into()),
                }),
            ),
        ];
        for (what, hand, body) in rows {
            let entry = model_entry_v2(&e, body);
            assert_eq!(
                hand,
                encode_entry(&entry).unwrap(),
                "{what} ({label}): the document and the codec disagree"
            );
            assert_eq!(decode_entry(&hand).unwrap(), entry, "{what} ({label})");
        }
    }
}

/// The format 2 layouts of 3.7 and 4.7 are not readable as format 1: a format 1 decoder
/// rejects a gateway "not engaged" (index 3).
#[test]
fn format_1_has_no_gateway_not_engaged() {
    let (_, e) = envelopes().remove(0);
    let mut bytes = hand_disclosure_v2(&e);
    bytes[0..2].copy_from_slice(&1u16.to_le_bytes());
    assert!(decode_entry(&bytes).is_err());
}
