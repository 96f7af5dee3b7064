//! Offline inclusion proofs ([c2sp.org/tlog-proof](https://c2sp.org/tlog-proof)): the
//! `c2sp.org/tlog-proof@v1` text carrying an entry's index, its inclusion proof and the signed
//! checkpoint the proof leads to.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::checkpoint::{Checkpoint, CheckpointError, OpenError, VerifiedCheckpoint, open_note};
use crate::hash::Digest;
use crate::key::VerifierKey;
use crate::merkle::verify_inclusion;
use crate::note::{Note, NoteError};
use crate::text::parse_decimal;

/// First line of a tlog proof (tlog-proof §"Format").
const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The most hashes a tlog proof may list: an inclusion proof in a tree of up
/// to 2^64 leaves has at most 64.
pub const MAX_PROOF_HASHES: usize = 64;

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
    use crate::hash::leaf_hash;
    use crate::key::{KeyKind, SignerKey};
    use crate::merkle::{MemoryHashes, prove_inclusion, tree_hash};

    #[test]
    fn proof_round_trips_and_verifies() {
        let log = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[1; 32]).unwrap();
        let leaves: Vec<Digest> = (0..7u8).map(|i| leaf_hash(&[i])).collect();
        let store = MemoryHashes::from_leaf_hashes(leaves.iter().copied());
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size: 7,
            root: tree_hash(7, &store).unwrap(),
            extensions: vec![],
        };
        let proof = TlogProof {
            extra: Some(b"opaque".to_vec()),
            index: 3,
            proof: prove_inclusion(3, 7, &store).unwrap(),
            checkpoint: cp.sign(&log).unwrap(),
        };
        let text = proof.to_string();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra b3BhcXVl\nindex 3\n"));
        let back = TlogProof::parse(text.as_bytes()).unwrap();
        assert_eq!(back, proof);
        let v = back
            .verify(&leaves[3], "example.com/log", log.verifier(), &[])
            .unwrap();
        assert_eq!(v.checkpoint, cp);
        assert!(matches!(
            back.verify(&leaves[4], "example.com/log", log.verifier(), &[]),
            Err(OpenError::Inclusion(_))
        ));
        assert!(matches!(
            TlogProof::parse(text.replacen("index 3", "index 03", 1).as_bytes()),
            Err(TlogProofError::BadIndex { line: 3, .. })
        ));
        assert!(matches!(
            TlogProof::parse(text.replacen("@v1", "@v2", 1).as_bytes()),
            Err(TlogProofError::BadHeader)
        ));
    }
}
