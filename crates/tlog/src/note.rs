//! Signed notes ([c2sp.org/signed-note](https://c2sp.org/signed-note)): a text, a blank line and
//! signature lines; parsing, formatting, signing and verification against trusted keys.
//!
//! Parsing is strict: a note must be valid UTF-8 without control characters other than newline,
//! base64 must be canonical standard base64 with padding, and every length is checked before use.
//! Ed25519 signatures are checked with `verify_strict` (no small-order keys or `R` points,
//! canonical `S`), which every honest signer's output passes. Which keys to trust is the caller's
//! decision; timestamped cosignatures are in `cosignature.rs`, checkpoints in `checkpoint.rs`.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::Signature;

use crate::checkpoint::CheckpointError;
use crate::cosignature;
use crate::key::{KeyKind, SignerKey, VerifierKey, is_valid_name};

/// The most signature lines a note may carry; more are refused before any is
/// checked. The signed-note spec requires accepting at least 16; Go's
/// `golang.org/x/mod/sumdb/note` stops at 100, and so do we.
pub const MAX_SIGNATURES: usize = 100;

/// Separator between a signature line's em dash and the key name: U+2014 U+0020.
const SIG_LINE_PREFIX: &str = "\u{2014} ";

/// Length of a raw Ed25519 signature.
pub(crate) const ED25519_SIG_LEN: usize = 64;

/// The first character of `text` that a note may not contain, if any, with
/// its 1-based line number.
fn find_control_char(text: &str) -> Option<(usize, char)> {
    let mut line = 1;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        } else if c < ' ' {
            return Some((line, c));
        }
    }
    None
}

/// Why a note could not be parsed, built or signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note is not valid UTF-8.
    #[error(
        "the note is not valid UTF-8 (first bad byte at offset {offset}); notes are UTF-8 text"
    )]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The note contains a control character other than newline.
    #[error(
        "line {line} contains the control character U+{:04X}; notes may contain no control \
         characters except newline (check for tabs and CRLF line endings)",
        u32::from(*character)
    )]
    ControlCharacter {
        /// 1-based line number.
        line: usize,
        /// The offending character.
        character: char,
    },
    /// The note text does not end with a newline (or is empty).
    #[error("the note text must be non-empty and end with a newline")]
    TextWithoutFinalNewline,
    /// No blank line followed by signature lines was found.
    #[error(
        "the note has no signatures: a signed note is its text, a blank line, \
         then one or more signature lines"
    )]
    NoSignatures,
    /// The signature block does not end with a newline.
    #[error("the last signature line must end with a newline")]
    MissingFinalNewline,
    /// A signature line is malformed.
    #[error("signature line {line} is malformed: {reason}")]
    BadSignatureLine {
        /// 1-based line number in the note.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// More signature lines than [`MAX_SIGNATURES`].
    #[error("the note has {count} signature lines; at most {max} are accepted")]
    TooManySignatures {
        /// Signature lines found.
        count: usize,
        /// [`MAX_SIGNATURES`].
        max: usize,
    },
    /// The key is of the wrong kind for this operation.
    #[error(
        "key {name} is a {actual:?} key but this operation needs a {needed:?} key; \
         sign with the log key and cosign with the cosigner key"
    )]
    WrongKeyKind {
        /// Key name.
        name: String,
        /// Kind the operation needs.
        needed: KeyKind,
        /// Kind of the key given.
        actual: KeyKind,
    },
    /// A cosignature timestamp above 2^63 − 1.
    #[error("cosignature timestamp {timestamp} exceeds 2^63-1; use POSIX seconds")]
    TimestampTooLarge {
        /// The timestamp given.
        timestamp: u64,
    },
    /// The text is not a valid checkpoint (cosigning and signing checkpoints need one).
    #[error("the note text is not a valid checkpoint: {0}")]
    NotACheckpoint(#[source] CheckpointError),
}

/// One signature line of a note: key name, key ID and signature bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteSignature {
    // INVARIANT: `name` is a valid key name and `signature` is non-empty.
    name: String,
    key_id: [u8; 4],
    signature: Vec<u8>,
}

impl NoteSignature {
    /// The signer's key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signer's key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The signature bytes after the key ID (for `cosignature/v1`:
    /// the 8-byte timestamp followed by the Ed25519 signature).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The signature line, `— name base64(key ID ‖ signature)`, with its newline.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(&self.signature);
        format!("{SIG_LINE_PREFIX}{} {}\n", self.name, BASE64.encode(raw))
    }

    /// [`VerifyError::BadSignature`] for this signature.
    pub(crate) fn bad_signature(&self) -> VerifyError {
        VerifyError::BadSignature {
            name: self.name.clone(),
            key_id: self.key_id,
        }
    }

    /// [`VerifyError::WrongSignatureLength`] for this signature, whose kind needs `expected` bytes.
    pub(crate) fn wrong_length(&self, expected: usize) -> VerifyError {
        VerifyError::WrongSignatureLength {
            name: self.name.clone(),
            key_id: self.key_id,
            expected,
            found: self.signature.len(),
        }
    }

    fn parse_line(line: &str, line_no: usize) -> Result<Self, NoteError> {
        let bad = |reason| NoteError::BadSignatureLine {
            line: line_no,
            reason,
        };
        let rest = line.strip_prefix(SIG_LINE_PREFIX).ok_or(bad(
            "it does not start with an em dash (U+2014) and a space",
        ))?;
        let (name, b64) = rest.split_once(' ').ok_or(bad(
            "there is no space between the key name and the signature",
        ))?;
        if !is_valid_name(name) {
            return Err(bad("the key name is empty or contains a space or '+'"));
        }
        if b64.is_empty() {
            return Err(bad("the signature is empty"));
        }
        let raw = BASE64
            .decode(b64)
            .map_err(|_| bad("the signature is not canonical standard base64 with padding"))?;
        if raw.len() < 5 {
            return Err(bad(
                "the signature is shorter than a 4-byte key id and one signature byte",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: [raw[0], raw[1], raw[2], raw[3]],
            signature: raw[4..].to_vec(),
        })
    }
}

/// A signed note (c2sp.org/signed-note): a text and its signatures.
///
/// `Display` writes the note byte for byte: the text, a blank line, then one
/// line per signature in order. A note is only a valid signed note once it
/// has at least one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    // INVARIANT: `text` is non-empty, ends with '\n' and holds no control
    // character other than '\n'; there are at most MAX_SIGNATURES signatures.
    text: String,
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// Starts an unsigned note with `text`, which must end with a newline and
    /// contain no control characters other than newline.
    pub fn new(text: impl Into<String>) -> Result<Self, NoteError> {
        let text = text.into();
        if !text.ends_with('\n') {
            return Err(NoteError::TextWithoutFinalNewline);
        }
        if let Some((line, character)) = find_control_char(&text) {
            return Err(NoteError::ControlCharacter { line, character });
        }
        Ok(Self {
            text,
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note without verifying any signature.
    ///
    /// The text is everything up to and including the newline before the
    /// *last* blank line; every line after it must be a signature line.
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        let s = std::str::from_utf8(bytes).map_err(|e| NoteError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        if let Some((line, character)) = find_control_char(s) {
            return Err(NoteError::ControlCharacter { line, character });
        }
        let split = s.rfind("\n\n").ok_or(NoteError::NoSignatures)?;
        let (text, sigs) = (&s[..split + 1], &s[split + 2..]);
        if sigs.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let Some(sigs) = sigs.strip_suffix('\n') else {
            return Err(NoteError::MissingFinalNewline);
        };
        let count = sigs.split('\n').count();
        if count > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                count,
                max: MAX_SIGNATURES,
            });
        }
        // Text lines, then the blank line, then the first signature line.
        let first_line = text.matches('\n').count() + 2;
        let signatures = sigs
            .split('\n')
            .enumerate()
            .map(|(i, line)| NoteSignature::parse_line(line, first_line + i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signatures, in the order of their lines.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds the signature `signature` by `key`, replacing any signature with the same key name and
    /// ID (as Go's `note.Sign` does); new signatures go last.
    pub(crate) fn put_signature(
        &mut self,
        key: &SignerKey,
        signature: Vec<u8>,
    ) -> Result<(), NoteError> {
        let sig = NoteSignature {
            name: key.name().to_owned(),
            key_id: key.key_id(),
            signature,
        };
        self.signatures
            .retain(|s| !(s.name == sig.name && s.key_id == sig.key_id));
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                count: self.signatures.len() + 1,
                max: MAX_SIGNATURES,
            });
        }
        self.signatures.push(sig);
        Ok(())
    }

    /// Signs the text with an Ed25519 note key and appends the signature line.
    pub fn sign(&mut self, key: &SignerKey) -> Result<(), NoteError> {
        if key.kind() != KeyKind::Ed25519 {
            return Err(NoteError::WrongKeyKind {
                name: key.name().to_owned(),
                needed: KeyKind::Ed25519,
                actual: key.kind(),
            });
        }
        let signature = key.sign_raw(self.text.as_bytes()).to_vec();
        self.put_signature(key, signature)
    }

    /// Verifies the note against the trusted `keys`, as signed-note requires.
    ///
    /// Signatures whose (name, key ID) match no trusted key are ignored. Every
    /// signature that matches one is verified, and one that fails rejects the
    /// whole note. At least one must match and verify. Returns one entry per
    /// trusted key that signed, in line order.
    pub fn verify(&self, keys: &[VerifierKey]) -> Result<Vec<VerifiedSignature>, VerifyError> {
        let mut verified: Vec<VerifiedSignature> = Vec::new();
        for sig in &self.signatures {
            let Some(key) = keys
                .iter()
                .find(|k| k.name == sig.name && k.key_id == sig.key_id)
            else {
                continue;
            };
            let timestamp = verify_one(key, sig, &self.text)?;
            if !verified.iter().any(|v| v.key == *key) {
                verified.push(VerifiedSignature {
                    key: key.clone(),
                    timestamp,
                });
            }
        }
        if verified.is_empty() {
            return Err(VerifyError::NoTrustedSignature {
                signers: self
                    .signatures
                    .iter()
                    .map(|s| format!("{}+{}", s.name, hex::encode(s.key_id)))
                    .collect(),
            });
        }
        Ok(verified)
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for sig in &self.signatures {
            f.write_str(&sig.to_line())?;
        }
        Ok(())
    }
}

impl FromStr for Note {
    type Err = NoteError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s.as_bytes())
    }
}

/// Verifies one signature from a trusted key; returns its timestamp for a cosignature.
fn verify_one(
    key: &VerifierKey,
    sig: &NoteSignature,
    text: &str,
) -> Result<Option<u64>, VerifyError> {
    match key.kind {
        KeyKind::Ed25519 => {
            let raw: [u8; ED25519_SIG_LEN] = sig
                .signature
                .as_slice()
                .try_into()
                .map_err(|_| sig.wrong_length(ED25519_SIG_LEN))?;
            key.public
                .verify_strict(text.as_bytes(), &Signature::from_bytes(&raw))
                .map_err(|_| sig.bad_signature())?;
            Ok(None)
        }
        KeyKind::CosignatureV1 => cosignature::verify(key, sig, text).map(Some),
    }
}

/// A trusted key whose signature on a note verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The trusted key.
    pub key: VerifierKey,
    /// For a `cosignature/v1`, the time the cosigner signed (POSIX seconds).
    pub timestamp: Option<u64>,
}

/// Why a note's signatures do not establish it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No signature is from a trusted key.
    #[error(
        "the note carries no signature from a trusted key (signed by: {}); \
         if one of these signers should be trusted, add its verifier key",
        if signers.is_empty() { "nobody".to_owned() } else { signers.join(", ") }
    )]
    NoTrustedSignature {
        /// `name+keyid` of every signature line found.
        signers: Vec<String>,
    },
    /// A signature from a trusted key does not verify.
    #[error(
        "the signature by {name} (key id {}) does not verify: the note was changed after \
         signing or the signature is corrupt; reject the note",
        hex::encode(key_id)
    )]
    BadSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: [u8; 4],
    },
    /// A signature from a trusted key has the wrong length for its kind.
    #[error(
        "the signature by {name} (key id {}) is {found} bytes but must be {expected}; \
         it is corrupt or of another signature type; reject the note",
        hex::encode(key_id)
    )]
    WrongSignatureLength {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: [u8; 4],
        /// Length the key's kind requires.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// A cosignature from a trusted key has a timestamp above 2^63 − 1.
    #[error("the cosignature by {name} has timestamp {timestamp}, above 2^63-1; reject the note")]
    TimestampTooLarge {
        /// Cosigner name.
        name: String,
        /// The timestamp found.
        timestamp: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeyKind;

    /// Example from c2sp.org/signed-note §"Verifier keys / Example".
    const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    const SPEC_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

    #[test]
    fn spec_example_verifies() {
        let key = VerifierKey::parse(SPEC_VKEY).unwrap();
        assert_eq!(key.to_string(), SPEC_VKEY);
        let note = Note::parse(SPEC_NOTE.as_bytes()).unwrap();
        assert_eq!(note.text(), "This is an example message.\n");
        assert_eq!(note.to_string(), SPEC_NOTE);
        let v = note.verify(std::slice::from_ref(&key)).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].key, key);
    }

    #[test]
    fn parse_rejects_malformed_notes() {
        let sig = "\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=";
        let cases: &[(&str, String)] = &[
            ("no blank line", format!("text\n{sig}\n")),
            ("no final newline", format!("text\n\n{sig}")),
            ("no signatures", "text\n\n".to_owned()),
            ("tab", format!("te\txt\n\n{sig}\n")),
            ("CRLF", format!("text\r\n\r\n{sig}\r\n")),
            (
                "hyphen instead of em dash",
                "text\n\n- example.com/foo AAAAAAA=\n".to_owned(),
            ),
            (
                "no space after dash",
                "text\n\n\u{2014}example.com/foo AAAAAAA=\n".to_owned(),
            ),
            ("empty name", "text\n\n\u{2014}  AAAAAAA=\n".to_owned()),
            ("plus in name", "text\n\n\u{2014} a+b AAAAAAA=\n".to_owned()),
            ("short sig", "text\n\n\u{2014} a AAAAAA==\n".to_owned()),
            ("bad base64", "text\n\n\u{2014} a AAAA!AAA\n".to_owned()),
            ("trailing space", format!("text\n\n{sig} \n")),
            ("blank line after sig", format!("text\n\n{sig}\n\n")),
        ];
        for (name, note) in cases {
            assert!(Note::parse(note.as_bytes()).is_err(), "{name} accepted");
        }
        assert!(matches!(
            Note::parse(b"\xff\n\n"),
            Err(NoteError::NotUtf8 { offset: 0 })
        ));
    }

    #[test]
    fn text_may_contain_blank_lines() {
        let n = "a\n\nb\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        let note = Note::parse(n.as_bytes()).unwrap();
        assert_eq!(note.text(), "a\n\nb\n");
        assert_eq!(note.to_string(), n);
    }

    #[test]
    fn signature_limit() {
        let line = "\u{2014} a AAAAAAA=\n";
        let ok = format!("t\n\n{}", line.repeat(MAX_SIGNATURES));
        assert_eq!(
            Note::parse(ok.as_bytes()).unwrap().signatures().len(),
            MAX_SIGNATURES
        );
        let too_many = format!("t\n\n{}", line.repeat(MAX_SIGNATURES + 1));
        assert!(matches!(
            Note::parse(too_many.as_bytes()),
            Err(NoteError::TooManySignatures { .. })
        ));
    }

    #[test]
    fn unknown_signatures_are_ignored_but_known_bad_ones_reject() {
        let log = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[1; 32]).unwrap();
        let other = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[5; 32]).unwrap();
        let mut note = Note::new("hello\n").unwrap();
        note.sign(&other).unwrap();
        note.sign(&log).unwrap();
        // Same name, other key id: ignored.
        let v = note.verify(std::slice::from_ref(log.verifier())).unwrap();
        assert_eq!(v.len(), 1);
        // Same name and id as the trusted key, but a bad signature: rejected.
        let mut text = note.to_string();
        let good_line = note.signatures()[1].to_line();
        let mut raw = BASE64
            .decode(good_line.trim_end().rsplit(' ').next().unwrap())
            .unwrap();
        raw[10] ^= 1;
        let bad_line = format!("\u{2014} example.com/log {}\n", BASE64.encode(&raw));
        text = text.replace(&good_line, &bad_line);
        let bad = Note::parse(text.as_bytes()).unwrap();
        assert!(matches!(
            bad.verify(std::slice::from_ref(log.verifier())),
            Err(VerifyError::BadSignature { .. })
        ));
        // No trusted key at all.
        assert!(matches!(
            note.verify(&[]),
            Err(VerifyError::NoTrustedSignature { .. })
        ));
    }
}
