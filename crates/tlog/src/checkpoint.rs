//! C2SP signed notes, checkpoints, cosignatures and tlog proofs, to the byte.
//!
//! This module owns the text formats of
//! [c2sp.org/signed-note](https://c2sp.org/signed-note) (notes, verifier
//! keys, and Go's `PRIVATE+KEY+…` signer keys),
//! [c2sp.org/tlog-checkpoint](https://c2sp.org/tlog-checkpoint),
//! [c2sp.org/tlog-cosignature](https://c2sp.org/tlog-cosignature) (the
//! Ed25519 `cosignature/v1` type) and
//! [c2sp.org/tlog-proof](https://c2sp.org/tlog-proof). It parses, formats,
//! signs and verifies them; it does not decide which keys to trust, how many
//! cosignatures are enough, or where notes are stored.
//!
//! Parsing is strict: a note must be valid UTF-8 without control characters
//! other than newline, base64 must be canonical standard base64 with padding,
//! decimals have no leading zeros, and every length is checked before use.
//! Ed25519 signatures are checked with `verify_strict` (no small-order keys or
//! `R` points, canonical `S`), which every honest signer's output passes.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::hash::Digest;
use crate::merkle::{ProofError, verify_inclusion};

/// Signature type byte of plain Ed25519 note signatures (signed-note §"Signature types").
pub const SIG_TYPE_ED25519: u8 = 0x01;

/// Signature type byte of timestamped Ed25519 checkpoint cosignatures
/// (signed-note §"Signature types", tlog-cosignature §"Format").
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;

/// The most signature lines a note may carry; more are refused before any is
/// checked. The signed-note spec requires accepting at least 16; Go's
/// `golang.org/x/mod/sumdb/note` stops at 100, and so do we.
pub const MAX_SIGNATURES: usize = 100;

/// First line of a `cosignature/v1` signed message (tlog-cosignature §"Ed25519 signed message").
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1";

/// First line of a tlog proof (tlog-proof §"Format").
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The most hashes a tlog proof may list: an inclusion proof in a tree of up
/// to 2^64 leaves has at most 64.
pub const MAX_PROOF_HASHES: usize = 64;

/// The largest cosignature timestamp allowed: 2^63 − 1 (tlog-cosignature §"Format").
pub const MAX_COSIGNATURE_TIMESTAMP: u64 = i64::MAX as u64;

/// Separator between a signature line's em dash and the key name: U+2014 U+0020.
const SIG_LINE_PREFIX: &str = "\u{2014} ";

/// Length of a raw Ed25519 signature.
const ED25519_SIG_LEN: usize = 64;

/// Length of a `cosignature/v1` `timestamped_signature`: u64 timestamp ‖ Ed25519 signature.
const COSIGNATURE_V1_LEN: usize = 8 + ED25519_SIG_LEN;

/// Returns the C2SP key ID: the first four bytes of
/// `SHA-256(name ‖ 0x0A ‖ sig_type ‖ public_key)` (signed-note §"Signatures").
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', sig_type]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// Whether `name` may be a key name: non-empty, no Unicode space, no `+`,
/// and (so that it can appear in a note at all) no control character.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < ' ')
}

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

/// Parses an ASCII decimal with no sign and no leading zeros (other than `0` itself).
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// What a key signs, which fixes its signature type byte and message format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// Plain Ed25519 over the note text (type 0x01): a log operator's key.
    Ed25519,
    /// Timestamped Ed25519 `cosignature/v1` over a checkpoint (type 0x04): a cosigner's key.
    CosignatureV1,
}

impl KeyKind {
    /// The signature type byte hashed into the key ID and prefixed to the key material.
    pub const fn sig_type(self) -> u8 {
        match self {
            KeyKind::Ed25519 => SIG_TYPE_ED25519,
            KeyKind::CosignatureV1 => SIG_TYPE_COSIGNATURE_V1,
        }
    }

    /// The kind for a signature type byte, if it is one this module implements.
    pub const fn from_sig_type(sig_type: u8) -> Option<Self> {
        match sig_type {
            SIG_TYPE_ED25519 => Some(KeyKind::Ed25519),
            SIG_TYPE_COSIGNATURE_V1 => Some(KeyKind::CosignatureV1),
            _ => None,
        }
    }
}

/// Why a verifier or signer key could not be read or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text does not have the `name+keyid+base64` shape.
    #[error(
        "malformed key: {reason}; a verifier key looks like name+1234abcd+base64, \
         a signer key like PRIVATE+KEY+name+1234abcd+base64"
    )]
    Malformed {
        /// What is wrong with the shape.
        reason: &'static str,
    },
    /// The key name is empty or contains a space, a `+` or a control character.
    #[error(
        "invalid key name {name:?}: a key name must be non-empty and contain no spaces, \
         no '+' and no control characters (use a schema-less URL like example.com/log)"
    )]
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// The key ID written in the key does not match the one computed from it.
    #[error(
        "key {name} states key id {} but its name and key material hash to {}; \
         the key was altered or mistyped — get a fresh copy from its owner",
        hex::encode(stated),
        hex::encode(computed)
    )]
    KeyIdMismatch {
        /// Key name.
        name: String,
        /// Key ID written in the key text.
        stated: [u8; 4],
        /// Key ID computed from name, type and public key.
        computed: [u8; 4],
    },
    /// The signature type byte is not one this module implements.
    #[error(
        "unsupported signature type 0x{sig_type:02x}; only Ed25519 (0x01) and \
         cosignature/v1 (0x04) keys are supported"
    )]
    UnsupportedType {
        /// The type byte found.
        sig_type: u8,
    },
    /// The key material has the wrong length.
    #[error("key material is {len} bytes but an Ed25519 key is 32 bytes")]
    WrongLength {
        /// Length found (without the type byte).
        len: usize,
    },
    /// The public key is not a usable Ed25519 point.
    #[error(
        "the public key is not a valid Ed25519 key (not a curve point, or of small order); \
         it cannot verify any signature"
    )]
    BadPublicKey,
}

/// A key that verifies note signatures, in the signed-note "vkey" text form
/// `name+hex(key ID)+base64(type ‖ public key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// Key name, as it appears in signature lines.
    pub name: String,
    /// Key ID, as it appears (big-endian) at the start of each signature.
    pub key_id: [u8; 4],
    /// What the key signs.
    pub kind: KeyKind,
    /// The Ed25519 public key.
    pub public: VerifyingKey,
}

impl VerifierKey {
    /// Builds a verifier key, computing its key ID from name, kind and public key.
    pub fn new(name: &str, kind: KeyKind, public: VerifyingKey) -> Result<Self, KeyError> {
        if !is_valid_name(name) {
            return Err(KeyError::InvalidName {
                name: name.to_owned(),
            });
        }
        if public.is_weak() {
            return Err(KeyError::BadPublicKey);
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, kind.sig_type(), public.as_bytes()),
            kind,
            public,
        })
    }

    /// Parses the text form `name+hex(key ID)+base64(type ‖ public key)`,
    /// checking that the stated key ID matches.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let (name, id, material) = split_key_text(text)?;
        let (kind, key) = split_material(&material)?;
        let public = VerifyingKey::from_bytes(&key).map_err(|_| KeyError::BadPublicKey)?;
        let vkey = Self::new(name, kind, public)?;
        if vkey.key_id != id {
            return Err(KeyError::KeyIdMismatch {
                name: name.to_owned(),
                stated: id,
                computed: vkey.key_id,
            });
        }
        Ok(vkey)
    }
}

impl fmt::Display for VerifierKey {
    /// Writes the vkey text form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut material = Vec::with_capacity(33);
        material.push(self.kind.sig_type());
        material.extend_from_slice(self.public.as_bytes());
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_id),
            BASE64.encode(material)
        )
    }
}

impl FromStr for VerifierKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Splits `name+keyid+base64` into its parts.
fn split_key_text(text: &str) -> Result<(&str, [u8; 4], Vec<u8>), KeyError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyError::Malformed {
            reason: "expected three parts separated by '+'",
        });
    };
    if !is_valid_name(name) {
        return Err(KeyError::InvalidName {
            name: name.to_owned(),
        });
    }
    if id_hex.len() != 8
        || !id_hex
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(KeyError::Malformed {
            reason: "the key id must be 8 lowercase hex digits",
        });
    }
    let mut id = [0u8; 4];
    hex::decode_to_slice(id_hex, &mut id).map_err(|_| KeyError::Malformed {
        reason: "the key id must be 8 lowercase hex digits",
    })?;
    let material = BASE64.decode(b64).map_err(|_| KeyError::Malformed {
        reason: "the key material is not standard padded base64",
    })?;
    Ok((name, id, material))
}

/// Splits `type ‖ 32-byte key` into the kind and the key bytes.
fn split_material(material: &[u8]) -> Result<(KeyKind, [u8; 32]), KeyError> {
    let Some((&sig_type, key)) = material.split_first() else {
        return Err(KeyError::Malformed {
            reason: "the key material is empty",
        });
    };
    let kind = KeyKind::from_sig_type(sig_type).ok_or(KeyError::UnsupportedType { sig_type })?;
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| KeyError::WrongLength { len: key.len() })?;
    Ok((kind, key))
}

/// A private key that signs notes (kind [`KeyKind::Ed25519`]) or cosigns
/// checkpoints (kind [`KeyKind::CosignatureV1`]).
///
/// Its text form is Go's `PRIVATE+KEY+name+hex(key ID)+base64(type ‖ seed)`,
/// where the key ID is that of the public key. Go's note package only knows
/// type 0x01; type 0x04 is the same layout with the cosignature type byte.
/// `Debug` never prints the seed.
#[derive(Clone)]
pub struct SignerKey {
    // INVARIANT: `verifier` is the public half of `signing`, with a valid name
    // and the key ID computed from it.
    verifier: VerifierKey,
    signing: SigningKey,
}

impl SignerKey {
    /// Builds a signer from a 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(name: &str, kind: KeyKind, seed: &[u8; 32]) -> Result<Self, KeyError> {
        let signing = SigningKey::from_bytes(seed);
        let verifier = VerifierKey::new(name, kind, signing.verifying_key())?;
        Ok(Self { verifier, signing })
    }

    /// Parses Go's signer key text form `PRIVATE+KEY+name+hex(key ID)+base64(type ‖ seed)`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(KeyError::Malformed {
                reason: "a signer key starts with PRIVATE+KEY+",
            })?;
        let (name, id, material) = split_key_text(rest)?;
        let (kind, seed) = split_material(&material)?;
        let signer = Self::from_seed(name, kind, &seed)?;
        if signer.verifier.key_id != id {
            return Err(KeyError::KeyIdMismatch {
                name: name.to_owned(),
                stated: id,
                computed: signer.verifier.key_id,
            });
        }
        Ok(signer)
    }

    /// Returns the signer key text form. It contains the private key: never log it.
    pub fn to_text(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(self.verifier.kind.sig_type());
        material.extend_from_slice(self.signing.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.verifier.name,
            hex::encode(self.verifier.key_id),
            BASE64.encode(material)
        )
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.verifier.name
    }

    /// The key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.verifier.key_id
    }

    /// What the key signs.
    pub fn kind(&self) -> KeyKind {
        self.verifier.kind
    }

    fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl FromStr for SignerKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

// ---------------------------------------------------------------------------
// Notes
// ---------------------------------------------------------------------------

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

    /// For a `cosignature/v1`-shaped signature (72 bytes), its timestamp.
    pub fn cosignature_timestamp(&self) -> Option<u64> {
        if self.signature.len() != COSIGNATURE_V1_LEN {
            return None;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&self.signature[..8]);
        Some(u64::from_be_bytes(ts))
    }

    /// The signature line, `— name base64(key ID ‖ signature)`, with its newline.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(&self.signature);
        format!("{SIG_LINE_PREFIX}{} {}\n", self.name, BASE64.encode(raw))
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

    /// Adds `sig`, replacing any signature with the same key name and ID (as
    /// Go's `note.Sign` does); new signatures go last.
    fn put_signature(&mut self, sig: NoteSignature) -> Result<(), NoteError> {
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
        self.put_signature(NoteSignature {
            name: key.name().to_owned(),
            key_id: key.key_id(),
            signature,
        })
    }

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
        Checkpoint::parse(&self.text).map_err(NoteError::NotACheckpoint)?;
        let message = cosignature_v1_message(timestamp, &self.text);
        let mut signature = Vec::with_capacity(COSIGNATURE_V1_LEN);
        signature.extend_from_slice(&timestamp.to_be_bytes());
        signature.extend_from_slice(&key.sign_raw(message.as_bytes()));
        self.put_signature(NoteSignature {
            name: key.name().to_owned(),
            key_id: key.key_id(),
            signature,
        })
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

/// The message a `cosignature/v1` signs: `cosignature/v1\ntime <timestamp>\n`
/// followed by the checkpoint's note text (tlog-cosignature §"Ed25519 signed message").
pub fn cosignature_v1_message(timestamp: u64, checkpoint_text: &str) -> String {
    format!("{COSIGNATURE_V1_HEADER}\ntime {timestamp}\n{checkpoint_text}")
}

/// Verifies one signature from a trusted key; returns its timestamp for a cosignature.
fn verify_one(
    key: &VerifierKey,
    sig: &NoteSignature,
    text: &str,
) -> Result<Option<u64>, VerifyError> {
    let bad = || VerifyError::BadSignature {
        name: sig.name.clone(),
        key_id: sig.key_id,
    };
    let wrong_length = |expected| VerifyError::WrongSignatureLength {
        name: sig.name.clone(),
        key_id: sig.key_id,
        expected,
        found: sig.signature.len(),
    };
    match key.kind {
        KeyKind::Ed25519 => {
            let raw: [u8; ED25519_SIG_LEN] = sig
                .signature
                .as_slice()
                .try_into()
                .map_err(|_| wrong_length(ED25519_SIG_LEN))?;
            key.public
                .verify_strict(text.as_bytes(), &Signature::from_bytes(&raw))
                .map_err(|_| bad())?;
            Ok(None)
        }
        KeyKind::CosignatureV1 => {
            if sig.signature.len() != COSIGNATURE_V1_LEN {
                return Err(wrong_length(COSIGNATURE_V1_LEN));
            }
            let (ts, raw) = sig.signature.split_at(8);
            let timestamp = u64::from_be_bytes(ts.try_into().map_err(|_| bad())?);
            if timestamp > MAX_COSIGNATURE_TIMESTAMP {
                return Err(VerifyError::TimestampTooLarge {
                    name: sig.name.clone(),
                    timestamp,
                });
            }
            let raw: [u8; ED25519_SIG_LEN] = raw.try_into().map_err(|_| bad())?;
            let message = cosignature_v1_message(timestamp, text);
            key.public
                .verify_strict(message.as_bytes(), &Signature::from_bytes(&raw))
                .map_err(|_| bad())?;
            Ok(Some(timestamp))
        }
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

// ---------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------

/// Why a checkpoint body could not be parsed or formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The body does not end with a newline.
    #[error("the checkpoint text must end with a newline")]
    MissingFinalNewline,
    /// Fewer than three lines.
    #[error(
        "the checkpoint has {lines} lines but needs at least three: origin, tree size, root hash"
    )]
    TooFewLines {
        /// Lines found.
        lines: usize,
    },
    /// An empty line (the origin, or an extension line).
    #[error("checkpoint line {line} is empty; origin and extension lines must be non-empty")]
    EmptyLine {
        /// 1-based line number.
        line: usize,
    },
    /// A line contains a newline or a control character (when formatting).
    #[error(
        "checkpoint line {line} contains a newline or control character; \
         origin and extension lines must be single lines of printable text"
    )]
    ControlCharacter {
        /// 1-based line number.
        line: usize,
    },
    /// The tree size is not a canonical decimal.
    #[error(
        "checkpoint line 2 must be the tree size in decimal without leading zeros, found {found:?}"
    )]
    BadSize {
        /// The line found.
        found: String,
    },
    /// The root hash is not base64 of 32 bytes.
    #[error(
        "checkpoint line 3 must be the base64 root hash (32 bytes, standard padded base64), \
         found {found:?}"
    )]
    BadRoot {
        /// The line found.
        found: String,
    },
}

/// A checkpoint body (c2sp.org/tlog-checkpoint): the note text of a signed tree head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity (first line), e.g. `ledger.example/ico-ofcom`.
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree at `size`.
    pub root: Digest,
    /// Opaque extension lines, each non-empty (NOT RECOMMENDED by the spec).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// Parses a checkpoint body: the note text, including its final newline.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::MissingFinalNewline)?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(CheckpointError::TooFewLines { lines: lines.len() });
        }
        for (i, line) in lines.iter().enumerate() {
            if line.is_empty() {
                return Err(CheckpointError::EmptyLine { line: i + 1 });
            }
            if line.chars().any(|c| c < ' ') {
                return Err(CheckpointError::ControlCharacter { line: i + 1 });
            }
        }
        let size = parse_decimal(lines[1]).ok_or_else(|| CheckpointError::BadSize {
            found: lines[1].to_owned(),
        })?;
        let root: Digest = BASE64
            .decode(lines[2])
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| CheckpointError::BadRoot {
                found: lines[2].to_owned(),
            })?;
        Ok(Self {
            origin: lines[0].to_owned(),
            size,
            root,
            extensions: lines[3..].iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    /// Formats the checkpoint body: origin, size, base64 root and extension
    /// lines, each followed by a newline.
    pub fn to_text(&self) -> Result<String, CheckpointError> {
        let free_lines =
            std::iter::once((1, &self.origin)).chain((4..).zip(self.extensions.iter()));
        for (line, s) in free_lines {
            if s.is_empty() {
                return Err(CheckpointError::EmptyLine { line });
            }
            if s.chars().any(|c| c < ' ') {
                return Err(CheckpointError::ControlCharacter { line });
            }
        }
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        );
        for ext in &self.extensions {
            out.push_str(ext);
            out.push('\n');
        }
        Ok(out)
    }

    /// Parses the checkpoint carried by a note (without verifying signatures).
    pub fn from_note(note: &Note) -> Result<Self, CheckpointError> {
        Self::parse(note.text())
    }

    /// Returns a note with this checkpoint as text, signed by the log's key.
    pub fn sign(&self, key: &SignerKey) -> Result<Note, NoteError> {
        let mut note = Note::new(self.to_text().map_err(NoteError::NotACheckpoint)?)?;
        note.sign(key)?;
        Ok(note)
    }
}

/// A checkpoint whose note verified against the log key and the given cosigners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    /// The parsed checkpoint.
    pub checkpoint: Checkpoint,
    /// The note it came in, byte-exact.
    pub note: Note,
    /// Every trusted key that signed, log key included, in line order.
    pub signatures: Vec<VerifiedSignature>,
}

impl VerifiedCheckpoint {
    /// The verified cosignatures (those of [`KeyKind::CosignatureV1`] keys).
    pub fn cosignatures(&self) -> impl Iterator<Item = &VerifiedSignature> {
        self.signatures
            .iter()
            .filter(|s| s.key.kind == KeyKind::CosignatureV1)
    }
}

/// Why a checkpoint or a tlog proof does not establish what it claims.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The note is malformed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// A trusted signature failed, or none was present.
    #[error(transparent)]
    Signature(#[from] VerifyError),
    /// The note text is not a well-formed checkpoint.
    #[error("the note is not a valid checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The checkpoint names another log.
    #[error(
        "the checkpoint is for log {found:?} but {expected:?} was expected; \
         it belongs to another log"
    )]
    WrongOrigin {
        /// Origin the caller expects.
        expected: String,
        /// Origin in the checkpoint.
        found: String,
    },
    /// The log's own signature is missing (only cosigners signed).
    #[error(
        "the checkpoint is not signed by the log key {name} (key id {}); \
         cosignatures alone do not establish a checkpoint",
        hex::encode(key_id)
    )]
    NotSignedByLog {
        /// Log key name.
        name: String,
        /// Log key ID.
        key_id: [u8; 4],
    },
    /// The inclusion proof does not connect the leaf to the checkpoint's root.
    #[error("the inclusion proof does not verify against the checkpoint: {0}")]
    Inclusion(#[from] ProofError),
}

/// Verifies a checkpoint note: the log key must have signed it, every
/// signature by `log` or a `cosigners` key must verify, and its origin must be
/// `origin`. How many cosignatures suffice is the caller's policy: see
/// [`VerifiedCheckpoint::cosignatures`].
pub fn open_checkpoint(
    note: &[u8],
    origin: &str,
    log: &VerifierKey,
    cosigners: &[VerifierKey],
) -> Result<VerifiedCheckpoint, OpenError> {
    open_note(Note::parse(note)?, origin, log, cosigners)
}

fn open_note(
    note: Note,
    origin: &str,
    log: &VerifierKey,
    cosigners: &[VerifierKey],
) -> Result<VerifiedCheckpoint, OpenError> {
    let mut keys = Vec::with_capacity(1 + cosigners.len());
    keys.push(log.clone());
    keys.extend(cosigners.iter().cloned());
    let signatures = note.verify(&keys)?;
    if !signatures.iter().any(|s| s.key == *log) {
        return Err(OpenError::NotSignedByLog {
            name: log.name.clone(),
            key_id: log.key_id,
        });
    }
    let checkpoint = Checkpoint::from_note(&note)?;
    if checkpoint.origin != origin {
        return Err(OpenError::WrongOrigin {
            expected: origin.to_owned(),
            found: checkpoint.origin,
        });
    }
    Ok(VerifiedCheckpoint {
        checkpoint,
        note,
        signatures,
    })
}

// ---------------------------------------------------------------------------
// tlog proofs
// ---------------------------------------------------------------------------

/// Why a `c2sp.org/tlog-proof@v1` text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlogProofError {
    /// Not UTF-8.
    #[error("the proof is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The first line is not the header.
    #[error(
        "the first line must be {TLOG_PROOF_HEADER:?}; this is not a tlog proof (or another version)"
    )]
    BadHeader,
    /// The `extra` line is not base64.
    #[error("line 2 starts with \"extra \" but the rest is not standard padded base64")]
    BadExtra,
    /// The `index` line is missing or malformed.
    #[error(
        "line {line} must be \"index N\" with N in decimal without leading zeros, found {found:?}"
    )]
    BadIndex {
        /// 1-based line number.
        line: usize,
        /// The line found.
        found: String,
    },
    /// A proof line is not base64 of 32 bytes.
    #[error("line {line} must be a base64 SHA-256 hash (32 bytes, standard padded base64)")]
    BadHash {
        /// 1-based line number.
        line: usize,
    },
    /// More than [`MAX_PROOF_HASHES`] hashes.
    #[error("the proof lists more than {max} hashes, more than any inclusion proof can have")]
    TooManyHashes {
        /// [`MAX_PROOF_HASHES`].
        max: usize,
    },
    /// The text ends before the blank line and checkpoint.
    #[error("the proof ends before the blank line that introduces the checkpoint")]
    MissingCheckpoint,
    /// The embedded checkpoint note is malformed.
    #[error("the embedded checkpoint note is malformed: {0}")]
    Note(#[source] NoteError),
    /// The embedded note's text is not a checkpoint.
    #[error("the embedded note is not a valid checkpoint: {0}")]
    Checkpoint(#[source] CheckpointError),
}

/// A `c2sp.org/tlog-proof@v1` proof: an inclusion proof plus the checkpoint
/// it leads to, verifiable offline (c2sp.org/tlog-proof).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Optional opaque, unauthenticated extra data (the `extra` line).
    pub extra: Option<Vec<u8>>,
    /// Zero-based index of the entry in the log.
    pub index: u64,
    /// Inclusion proof hashes, from the leaf's sibling up to the root's child.
    pub proof: Vec<Digest>,
    /// The signed checkpoint, verbatim.
    pub checkpoint: Note,
}

impl TlogProof {
    /// Parses a tlog proof. The checkpoint's signatures are not verified here:
    /// use [`TlogProof::verify`].
    pub fn parse(bytes: &[u8]) -> Result<Self, TlogProofError> {
        let s = std::str::from_utf8(bytes).map_err(|e| TlogProofError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        let mut rest = s;
        let mut line_no = 0;
        let mut next_line = |rest: &mut &str| -> Option<(usize, String)> {
            let (line, tail) = rest.split_once('\n')?;
            *rest = tail;
            line_no += 1;
            Some((line_no, line.to_owned()))
        };
        match next_line(&mut rest) {
            Some((_, line)) if line == TLOG_PROOF_HEADER => {}
            _ => return Err(TlogProofError::BadHeader),
        }
        let (mut n, mut line) = next_line(&mut rest).ok_or(TlogProofError::MissingCheckpoint)?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            extra = Some(BASE64.decode(b64).map_err(|_| TlogProofError::BadExtra)?);
            (n, line) = next_line(&mut rest).ok_or(TlogProofError::MissingCheckpoint)?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(parse_decimal)
            .ok_or_else(|| TlogProofError::BadIndex {
                line: n,
                found: line.clone(),
            })?;
        let mut proof = Vec::new();
        loop {
            let (n, line) = next_line(&mut rest).ok_or(TlogProofError::MissingCheckpoint)?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_HASHES {
                return Err(TlogProofError::TooManyHashes {
                    max: MAX_PROOF_HASHES,
                });
            }
            let hash: Digest = BASE64
                .decode(&line)
                .ok()
                .and_then(|h| h.try_into().ok())
                .ok_or(TlogProofError::BadHash { line: n })?;
            proof.push(hash);
        }
        let checkpoint = Note::parse(rest.as_bytes()).map_err(TlogProofError::Note)?;
        Checkpoint::from_note(&checkpoint).map_err(TlogProofError::Checkpoint)?;
        Ok(Self {
            extra,
            index,
            proof,
            checkpoint,
        })
    }

    /// Verifies the proof for the entry whose leaf hash is `leaf` (tlog-proof
    /// §"Verifying a tlog proof"): the checkpoint must be for `origin` and
    /// signed by `log`, every signature by a `cosigners` key must verify, and
    /// the inclusion proof must lead from `leaf` at `index` to the root.
    pub fn verify(
        &self,
        leaf: &Digest,
        origin: &str,
        log: &VerifierKey,
        cosigners: &[VerifierKey],
    ) -> Result<VerifiedCheckpoint, OpenError> {
        let verified = open_note(self.checkpoint.clone(), origin, log, cosigners)?;
        let cp = &verified.checkpoint;
        verify_inclusion(&self.proof, self.index, cp.size, leaf, &cp.root)?;
        Ok(verified)
    }
}

impl fmt::Display for TlogProof {
    /// Writes the `c2sp.org/tlog-proof@v1` text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{TLOG_PROOF_HEADER}")?;
        if let Some(extra) = &self.extra {
            writeln!(f, "extra {}", BASE64.encode(extra))?;
        }
        writeln!(f, "index {}", self.index)?;
        for h in &self.proof {
            writeln!(f, "{}", BASE64.encode(h))?;
        }
        writeln!(f)?;
        write!(f, "{}", self.checkpoint)
    }
}

impl FromStr for TlogProof {
    type Err = TlogProofError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn checkpoint_body_rules() {
        let root = BASE64.encode([7u8; 32]);
        let good = format!("example.com/log\n12\n{root}\next one\n");
        let cp = Checkpoint::parse(&good).unwrap();
        assert_eq!(cp.size, 12);
        assert_eq!(cp.extensions, ["ext one"]);
        assert_eq!(cp.to_text().unwrap(), good);
        for bad in [
            format!("example.com/log\n12\n{root}"),
            "example.com/log\n12\n".to_owned(),
            format!("\n12\n{root}\n"),
            format!("example.com/log\n012\n{root}\n"),
            format!("example.com/log\n+12\n{root}\n"),
            format!("example.com/log\n18446744073709551616\n{root}\n"),
            format!("example.com/log\n12\n{}\n", BASE64.encode([7u8; 31])),
            format!("example.com/log\n12\n{}\n", root.trim_end_matches('=')),
            format!("example.com/log\n12\n{root}\n\n"),
            format!("example.com/log\n12\n{root}\n\next\n"),
        ] {
            assert!(Checkpoint::parse(&bad).is_err(), "{bad:?} accepted");
        }
        assert!(Checkpoint::parse(&format!("example.com/log\n0\n{root}\n")).is_ok());
        let mut cp = cp;
        cp.extensions.push(String::new());
        assert_eq!(cp.to_text(), Err(CheckpointError::EmptyLine { line: 5 }));
    }

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
    fn key_text_forms() {
        let signer = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[9; 32]).unwrap();
        let text = signer.to_text();
        let back = SignerKey::parse(&text).unwrap();
        assert_eq!(back.verifier(), signer.verifier());
        assert!(!format!("{signer:?}").contains(&hex::encode([9u8; 32])));
        let vkey = signer.verifier().to_string();
        assert_eq!(VerifierKey::parse(&vkey).unwrap(), *signer.verifier());
        // Wrong key id, uppercase id, bad name, unknown type.
        let (name, rest) = vkey.split_once('+').unwrap();
        let (id, b64) = rest.split_once('+').unwrap();
        assert!(matches!(
            VerifierKey::parse(&format!("{name}+00000000+{b64}")),
            Err(KeyError::KeyIdMismatch { .. })
        ));
        assert!(VerifierKey::parse(&format!("{name}+{}+{b64}", id.to_uppercase())).is_err());
        assert!(VerifierKey::parse(&format!("a b+{id}+{b64}")).is_err());
        let mut material = BASE64.decode(b64).unwrap();
        material[0] = 0x02;
        assert!(matches!(
            VerifierKey::parse(&format!("{name}+{id}+{}", BASE64.encode(&material))),
            Err(KeyError::UnsupportedType { sig_type: 2 })
        ));
        assert!(SignerKey::parse(&vkey).is_err());
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
