//! Checkpoints ([c2sp.org/tlog-checkpoint](https://c2sp.org/tlog-checkpoint)): the note text
//! of a signed tree head (origin, tree size, root hash, extension lines), and opening a
//! checkpoint note against the log's key and the trusted cosigners.
//!
//! Parsing is strict: decimals have no leading zeros, the root is canonical standard base64 of
//! 32 bytes, and no line is empty. Which cosigners to trust and how many suffice is the caller's
//! policy.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::hash::Digest;
use crate::key::{KeyKind, SignerKey, VerifierKey};
use crate::merkle::ProofError;
use crate::note::{Note, NoteError, VerifiedSignature, VerifyError};
use crate::text::parse_decimal;

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

/// [`open_checkpoint`] for a note already parsed.
pub(crate) fn open_note(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
