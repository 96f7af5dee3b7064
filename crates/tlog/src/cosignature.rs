//! Checkpoint cosignatures ([c2sp.org/tlog-cosignature](https://c2sp.org/tlog-cosignature)): the
//! timestamped Ed25519 `cosignature/v1` signature type of signed notes.
//!
//! A cosignature line is an ordinary signature line whose signature is
//! `u64 timestamp ‖ Ed25519 signature`, the Ed25519 signature covering
//! `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint. Only a checkpoint may be
//! cosigned. How many cosignatures are enough is the caller's policy.

use ed25519_dalek::Signature;

use crate::checkpoint::Checkpoint;
use crate::key::{KeyKind, SignerKey, VerifierKey};
use crate::note::{ED25519_SIG_LEN, Note, NoteError, NoteSignature, VerifyError};

/// First line of a `cosignature/v1` signed message (tlog-cosignature §"Ed25519 signed message").
const COSIGNATURE_V1_HEADER: &str = "cosignature/v1";

/// The largest cosignature timestamp allowed: 2^63 − 1 (tlog-cosignature §"Format").
pub const MAX_COSIGNATURE_TIMESTAMP: u64 = i64::MAX as u64;

/// Length of a `cosignature/v1` `timestamped_signature`: u64 timestamp ‖ Ed25519 signature.
const COSIGNATURE_V1_LEN: usize = 8 + ED25519_SIG_LEN;

/// The message a `cosignature/v1` signs: `cosignature/v1\ntime <timestamp>\n`
/// followed by the checkpoint's note text (tlog-cosignature §"Ed25519 signed message").
fn cosignature_v1_message(timestamp: u64, checkpoint_text: &str) -> String {
    format!("{COSIGNATURE_V1_HEADER}\ntime {timestamp}\n{checkpoint_text}")
}

impl NoteSignature {
    /// For a `cosignature/v1`-shaped signature (72 bytes), its timestamp.
    pub fn cosignature_timestamp(&self) -> Option<u64> {
        let signature = self.signature();
        if signature.len() != COSIGNATURE_V1_LEN {
            return None;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&signature[..8]);
        Some(u64::from_be_bytes(ts))
    }
}

impl Note {
    /// Cosigns the checkpoint in this note (tlog-cosignature `cosignature/v1`)
    /// at `timestamp` (POSIX seconds) and appends the signature line.
    ///
    /// The text must be a checkpoint: a cosigner states that it checked the
    /// tree head, and nothing else may be cosigned.
    pub fn cosign(&mut self, key: &SignerKey, timestamp: u64) -> Result<(), NoteError> {
        if key.kind() != KeyKind::CosignatureV1 {
            return Err(NoteError::WrongKeyKind {
                name: key.name().to_owned(),
                needed: KeyKind::CosignatureV1,
                actual: key.kind(),
            });
        }
        if timestamp > MAX_COSIGNATURE_TIMESTAMP {
            return Err(NoteError::TimestampTooLarge { timestamp });
        }
        Checkpoint::parse(self.text()).map_err(NoteError::NotACheckpoint)?;
        let message = cosignature_v1_message(timestamp, self.text());
        let mut signature = Vec::with_capacity(COSIGNATURE_V1_LEN);
        signature.extend_from_slice(&timestamp.to_be_bytes());
        signature.extend_from_slice(&key.sign_raw(message.as_bytes()));
        self.put_signature(key, signature)
    }
}

/// Verifies the `cosignature/v1` signature `sig` by the trusted cosigner `key` over the note
/// text `text`; returns the time the cosigner signed.
pub(crate) fn verify(
    key: &VerifierKey,
    sig: &NoteSignature,
    text: &str,
) -> Result<u64, VerifyError> {
    let signature = sig.signature();
    if signature.len() != COSIGNATURE_V1_LEN {
        return Err(sig.wrong_length(COSIGNATURE_V1_LEN));
    }
    let (ts, raw) = signature.split_at(8);
    let timestamp = u64::from_be_bytes(ts.try_into().map_err(|_| sig.bad_signature())?);
    if timestamp > MAX_COSIGNATURE_TIMESTAMP {
        return Err(VerifyError::TimestampTooLarge {
            name: sig.name().to_owned(),
            timestamp,
        });
    }
    let raw: [u8; ED25519_SIG_LEN] = raw.try_into().map_err(|_| sig.bad_signature())?;
    let message = cosignature_v1_message(timestamp, text);
    key.public
        .verify_strict(message.as_bytes(), &Signature::from_bytes(&raw))
        .map_err(|_| sig.bad_signature())?;
    Ok(timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{OpenError, open_checkpoint};

    #[test]
    fn spec_cosignature_example_parses() {
        // c2sp.org/tlog-cosignature §"Transparency Log Cosignatures" example.
        let note = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\
            \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
            \u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";
        let n = Note::parse(note.as_bytes()).unwrap();
        assert_eq!(n.to_string(), note);
        let cp = Checkpoint::from_note(&n).unwrap();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20852163);
        // The spec's signed-message example uses "time 1679315147".
        assert_eq!(n.signatures()[1].cosignature_timestamp(), Some(1679315147));
        assert_eq!(n.signatures()[0].cosignature_timestamp(), None);
    }

    #[test]
    fn cosign_and_verify_roundtrip() {
        let log = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[1; 32]).unwrap();
        let wit = SignerKey::from_seed("example.com/w", KeyKind::CosignatureV1, &[2; 32]).unwrap();
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size: 5,
            root: [3; 32],
            extensions: vec![],
        };
        let mut note = cp.sign(&log).unwrap();
        assert!(matches!(
            note.sign(&wit),
            Err(NoteError::WrongKeyKind { .. })
        ));
        assert!(matches!(
            note.cosign(&wit, MAX_COSIGNATURE_TIMESTAMP + 1),
            Err(NoteError::TimestampTooLarge { .. })
        ));
        note.cosign(&wit, 1234).unwrap();
        let text = note.to_string();
        let v = open_checkpoint(
            text.as_bytes(),
            "example.com/log",
            log.verifier(),
            std::slice::from_ref(wit.verifier()),
        )
        .unwrap();
        assert_eq!(v.checkpoint, cp);
        let cos: Vec<_> = v.cosignatures().collect();
        assert_eq!(cos.len(), 1);
        assert_eq!(cos[0].timestamp, Some(1234));
        // Only the witness signed with a trusted key: not enough.
        let other = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[4; 32]).unwrap();
        assert!(matches!(
            open_checkpoint(
                text.as_bytes(),
                "example.com/log",
                other.verifier(),
                std::slice::from_ref(wit.verifier())
            ),
            Err(OpenError::NotSignedByLog { .. })
        ));
        // Wrong origin.
        assert!(matches!(
            open_checkpoint(text.as_bytes(), "other", log.verifier(), &[]),
            Err(OpenError::WrongOrigin { .. })
        ));
        // Cosigning a non-checkpoint is refused.
        let mut plain = Note::new("hello\n").unwrap();
        assert!(matches!(
            plain.cosign(&wit, 1),
            Err(NoteError::NotACheckpoint(_))
        ));
    }
}
