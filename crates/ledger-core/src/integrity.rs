//! The catalogue of integrity failures: findings that mean the ledger cannot be trusted.
//!
//! Each kind has a stable code (used in `--json` output and by `dledger explain`) and a
//! plain-language explanation of what it means and what to do.

use serde::Serialize;

use crate::model::Seq;

/// A kind of integrity failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum IntegrityKind {
    /// The stored row cannot be read back, or its bytes do not decode as an entry.
    Undecodable,
    /// An entry is missing, duplicated or out of order.
    SequenceGap,
    /// An entry's predecessor hash is not the hash of the entry before it.
    BrokenChain,
    /// No signature is stored, or it does not verify.
    BadSignature,
    /// The signing key is not a key of the signing party.
    UnknownKey,
    /// The signing key was added only later in the log.
    KeyNotYetValid,
    /// The signing key had been rotated or revoked before this entry.
    KeyRevoked,
    /// The entry's recorded time is earlier than its predecessor's by more than the tolerance.
    TimeBackwards,
    /// An acknowledgement, correction or confirmation refers to an entry that does not exist
    /// or is of the wrong kind.
    DanglingReference,
    /// The entry is signed by a party that cannot have made it (e.g. a disclosure signed by
    /// someone other than the discloser, an acknowledgement by someone other than the recipient).
    WrongSigner,
    /// The genesis entry is missing, repeated or malformed.
    BadGenesis,
    /// A key or policy record is malformed (bad key bytes, key id or document hash).
    BadRecord,
    /// The stored Merkle hashes do not match the entries.
    TreeMismatch,
    /// A stored checkpoint is unreadable, for another log, or not properly signed.
    BadCheckpoint,
    /// A stored checkpoint's root differs from the log's root at its size: a fork.
    CheckpointMismatch,
    /// A field value in the vault does not match the commitment in its entry.
    VaultMismatch,
    /// The register snapshot, references index or saved entry index disagrees with the entries.
    IndexMismatch,
    /// A trust-root key named in the genesis entry is not among the keys the verifier was told
    /// to trust (`verify --trust DIR`): the ledger was made by someone else's keys.
    UntrustedGenesis,
    /// The ledger is shorter than a cosigned checkpoint it once reached: newer entries and
    /// checkpoints were removed (a rollback).
    Rollback,
    /// A stored checkpoint is kept under a tree size other than its own.
    MisfiledCheckpoint,
    /// A field value is missing from the vault of the ledger's own file, and no erasure entry
    /// records its erasure: lost, or removed outside dledger.
    VaultMissing,
    /// A checkpoint's entry index root (docs/FORMAT.md §7.6) differs from the one the entries
    /// give: the index it signs leaves an entry out, or lists one that is not there.
    CheckpointIndexMismatch,
}

impl IntegrityKind {
    /// Every kind, for documentation and `explain`.
    pub const ALL: [IntegrityKind; 22] = [
        IntegrityKind::Undecodable,
        IntegrityKind::SequenceGap,
        IntegrityKind::BrokenChain,
        IntegrityKind::BadSignature,
        IntegrityKind::UnknownKey,
        IntegrityKind::KeyNotYetValid,
        IntegrityKind::KeyRevoked,
        IntegrityKind::TimeBackwards,
        IntegrityKind::DanglingReference,
        IntegrityKind::WrongSigner,
        IntegrityKind::BadGenesis,
        IntegrityKind::BadRecord,
        IntegrityKind::TreeMismatch,
        IntegrityKind::BadCheckpoint,
        IntegrityKind::CheckpointMismatch,
        IntegrityKind::VaultMismatch,
        IntegrityKind::IndexMismatch,
        IntegrityKind::UntrustedGenesis,
        IntegrityKind::Rollback,
        IntegrityKind::MisfiledCheckpoint,
        IntegrityKind::CheckpointIndexMismatch,
        IntegrityKind::VaultMissing,
    ];

    /// Stable kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            IntegrityKind::Undecodable => "undecodable",
            IntegrityKind::SequenceGap => "sequence-gap",
            IntegrityKind::BrokenChain => "broken-chain",
            IntegrityKind::BadSignature => "bad-signature",
            IntegrityKind::UnknownKey => "unknown-key",
            IntegrityKind::KeyNotYetValid => "key-not-yet-valid",
            IntegrityKind::KeyRevoked => "key-revoked",
            IntegrityKind::TimeBackwards => "time-backwards",
            IntegrityKind::DanglingReference => "dangling-reference",
            IntegrityKind::WrongSigner => "wrong-signer",
            IntegrityKind::BadGenesis => "bad-genesis",
            IntegrityKind::BadRecord => "bad-record",
            IntegrityKind::TreeMismatch => "tree-mismatch",
            IntegrityKind::BadCheckpoint => "bad-checkpoint",
            IntegrityKind::CheckpointMismatch => "checkpoint-mismatch",
            IntegrityKind::VaultMismatch => "vault-mismatch",
            IntegrityKind::IndexMismatch => "index-mismatch",
            IntegrityKind::UntrustedGenesis => "untrusted-genesis",
            IntegrityKind::Rollback => "rollback",
            IntegrityKind::MisfiledCheckpoint => "misfiled-checkpoint",
            IntegrityKind::CheckpointIndexMismatch => "checkpoint-index-mismatch",
            IntegrityKind::VaultMissing => "vault-missing",
        }
    }

    /// Reads a code.
    pub fn from_code(code: &str) -> Option<IntegrityKind> {
        IntegrityKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// What the failure means, in plain words, and what to do about it.
    pub fn explanation(self) -> &'static str {
        match self {
            IntegrityKind::Undecodable => {
                "The bytes stored for this entry cannot be read as a ledger entry. The file was \
                 damaged or altered outside dledger. Restore the ledger from a backup or a copy \
                 held by the other regulator and verify again."
            }
            IntegrityKind::SequenceGap => {
                "Entries are numbered 0, 1, 2, ... with no gaps. A number is missing, repeated or \
                 out of place, so an entry was removed, duplicated or moved. Compare with a backup."
            }
            IntegrityKind::BrokenChain => {
                "Each entry carries the hash of the entry before it. This one does not, so an entry \
                 before it was changed, removed or inserted. The first broken link shows where."
            }
            IntegrityKind::BadSignature => {
                "The entry's signature is missing or does not match its contents under the key it \
                 names, so the entry was changed after signing or was never signed by that key."
            }
            IntegrityKind::UnknownKey => {
                "The entry is signed with a key that the signing party never registered in this \
                 ledger. Anyone could have made it; treat it as forged until explained."
            }
            IntegrityKind::KeyNotYetValid => {
                "The entry is signed with a key that was only registered later in the ledger, so \
                 it could not have been signed when it claims. Treat it as misplaced or forged."
            }
            IntegrityKind::KeyRevoked => {
                "The entry is signed with a key its party had already rotated or revoked. Entries \
                 signed before the revocation stay valid; this one was signed after it."
            }
            IntegrityKind::TimeBackwards => {
                "The entry's recording time is earlier than the entry before it by more than the \
                 allowed clock tolerance, which suggests it was inserted or back-dated."
            }
            IntegrityKind::DanglingReference => {
                "The entry refers to another entry (to acknowledge, correct or confirm it) that \
                 does not exist before it, or is of the wrong kind."
            }
            IntegrityKind::WrongSigner => {
                "The entry is signed by a party that cannot have made it: a disclosure must be \
                 signed by the discloser, an acknowledgement by the recipient, a key change by the \
                 key's own party, a correction by the author of the entry it corrects."
            }
            IntegrityKind::BadGenesis => {
                "The first entry must be the single genesis entry naming the parties and their \
                 trust-root keys, signed by one of those keys."
            }
            IntegrityKind::BadRecord => {
                "A key or policy recorded in the entry is malformed: a key whose bytes or id do not \
                 match, or a policy document whose hash does not match its text."
            }
            IntegrityKind::TreeMismatch => {
                "The Merkle tree hashes stored in the ledger file (used to make proofs quickly) do \
                 not match the entries. Proofs made from this file cannot be trusted until the \
                 file is restored from a backup or rebuilt with export and import."
            }
            IntegrityKind::BadCheckpoint => {
                "A stored checkpoint cannot be read, is for another ledger, or is not signed by a \
                 key its party held at that size. It proves nothing; find out where it came from."
            }
            IntegrityKind::VaultMismatch => {
                "A field value kept in the vault (outside the signed log) does not match the \
                 salted commitment recorded in its entry, so the value was changed after it was \
                 recorded. The entry itself is intact; do not open that field in evidence until \
                 the value is restored from a backup."
            }
            IntegrityKind::IndexMismatch => {
                "The register snapshot, the references index or the saved entry index that the \
                 ledger file keeps so that recording an entry, making a checkpoint or proving \
                 one need not re-read the whole ledger does not match the entries. The entries \
                 themselves are checked separately; but until the index is rebuilt, new entries \
                 could be checked against the wrong registers, and a new checkpoint or proof \
                 would be refused. Rebuild it with `dledger reindex LEDGER` and verify again."
            }
            IntegrityKind::VaultMissing => {
                "The ledger file that holds the vault (the operator's own copy, made by `dledger \
                 init`) has no value for a field of this disclosure, and no erasure entry records \
                 that it was erased. Since erasure is a signed act, a value that is simply gone \
                 was lost (a damaged file) or removed outside dledger. Restore the vault from a \
                 backup; copies made without values (import, mirror) are not checked for this."
            }
            IntegrityKind::CheckpointIndexMismatch => {
                "A checkpoint signs, besides the log's root, the root of the entry index: for \
                 each entry, disclosure company, party and register, the exact list of entries \
                 filed under it. That root, rebuilt from the entries, is different: the signer \
                 left an entry out of the index (or listed one that is not there), so any \
                 evidence bundle or dossier relying on this checkpoint to say 'nothing else was \
                 recorded' cannot be trusted. Ask the signer to explain; do not cosign it."
            }
            IntegrityKind::CheckpointMismatch => {
                "A checkpoint signed for this ledger commits to a different history than the \
                 entries now in the file: the log was rewritten after the checkpoint was signed, \
                 or two diverging copies exist (a fork). Compare with the other regulator's copy \
                 and the cosigned checkpoints it holds."
            }
            IntegrityKind::UntrustedGenesis => {
                "The genesis entry names a trust-root key for a party that is not among the keys \
                 you said to trust (the parties' published public keys). Anyone can make a \
                 ledger with the same origin and party names under keys of their own, and it \
                 verifies on its own terms; this one is anchored in keys other than the ones \
                 published. Treat it as a forgery or a different ledger until the party confirms \
                 the key, through a channel other than this file."
            }
            IntegrityKind::Rollback => {
                "A checkpoint that was signed (and cosigned) for this ledger covers more entries \
                 than the ledger now holds: the newest entries and their checkpoints were \
                 removed, or this is an old copy. Nothing in the file itself shows the removal; \
                 only the checkpoint held elsewhere does. Restore the ledger from the other \
                 regulator's copy or a backup that reaches the checkpoint's size."
            }
            IntegrityKind::MisfiledCheckpoint => {
                "The ledger file keeps each checkpoint under its tree size. This one is kept \
                 under a size that is not its own, so the file was altered outside dledger (for \
                 instance to make an old checkpoint look like the newest). The note itself is \
                 checked on its own terms; find out who changed the file."
            }
        }
    }
}

impl std::fmt::Display for IntegrityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.code())
    }
}

/// One integrity failure, pinned to the entry where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrityFailure {
    /// The entry (storage position) where it was found.
    pub seq: Seq,
    /// What kind of failure.
    pub kind: IntegrityKind,
    /// The specifics, in plain words.
    pub message: String,
}
