//! The one place that turns entries (and the saved register snapshot) into bytes and back
//! (docs/FORMAT.md).
//!
//! bincode 2.0.1 (pinned) with one fixed configuration: little-endian, fixed-width integers,
//! and a hard limit (65,535 bytes) on the bytes a decode may claim, so a forged length prefix can never
//! make the decoder allocate more than that bound. Decoding also rejects unknown versions and
//! trailing bytes.
//!
//! Entries of every format version this build reads ([`FORMAT_VERSIONS_READ`]) decode into the
//! one model; format 1's different layouts live in the private `v1` module. An entry
//! re-encodes under its own version, so the bytes of an old entry are reproduced exactly.

mod v1;

use bincode::config::{self, Config};

use crate::model::{Entry, FORMAT_VERSION, FORMAT_VERSIONS_READ};
use crate::registers::{SNAPSHOT_VERSION, Snapshot};

/// The largest encoded entry accepted, in bytes (docs/FORMAT.md, "Size limits"): C2SP
/// tlog-tiles entry bundles carry each entry behind a `u16` length prefix. A policy document is
/// the largest thing an entry holds (the sample's genesis is about 3 KB).
pub const MAX_ENTRY_BYTES: usize = 65_535;

/// The fixed bincode configuration. Changing any part of it changes every byte on disk.
fn config() -> impl Config {
    config::standard()
        .with_little_endian()
        .with_fixed_int_encoding()
        .with_limit::<MAX_ENTRY_BYTES>()
}

/// Why bytes could not be read as an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer than the two bytes of the version field.
    #[error("entry is {len} bytes long, too short to hold even its format version")]
    TooShort {
        /// Length received.
        len: usize,
    },
    /// The version field names a format this build does not know.
    #[error(
        "entry format version {found} is not supported (this build reads versions 1 to \
         {FORMAT_VERSION}); upgrade dledger to read this ledger"
    )]
    UnknownVersion {
        /// The version found.
        found: u16,
    },
    /// More than [`MAX_ENTRY_BYTES`].
    #[error("entry is {len} bytes, more than the {MAX_ENTRY_BYTES}-byte limit")]
    TooLong {
        /// Length received.
        len: usize,
    },
    /// The bytes do not follow the layout in docs/FORMAT.md.
    #[error("entry bytes are malformed: {0}")]
    Malformed(String),
    /// The entry decoded but bytes were left over.
    #[error("entry has {extra} unexpected trailing bytes after its end")]
    TrailingBytes {
        /// How many bytes were left.
        extra: usize,
    },
}

/// Why an entry could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The entry would be larger than [`MAX_ENTRY_BYTES`].
    #[error(
        "entry would be {len} bytes, more than the {MAX_ENTRY_BYTES}-byte limit; shorten its text"
    )]
    TooLong {
        /// Encoded length.
        len: usize,
    },
    /// The encoder failed for another reason (a bug: entries always encode).
    #[error("entry cannot be encoded: {0}")]
    Encoder(String),
    /// The entry carries a version this build does not know.
    #[error("entry version {0} cannot be written by this build (it writes {FORMAT_VERSION})")]
    WrongVersion(u16),
    /// A format 1 entry holds something format 1 cannot express.
    #[error("entry cannot be written as format 1: it holds {0}, which format 1 does not have")]
    NotInVersion1(&'static str),
}

/// Encodes an entry to its canonical bytes, in the layout of its own format version (new
/// entries are always [`FORMAT_VERSION`]; older versions are encoded only to reproduce the
/// bytes of entries already recorded).
pub fn encode_entry(entry: &Entry) -> Result<Vec<u8>, EncodeError> {
    match entry.version {
        FORMAT_VERSION => encode_limited(entry, MAX_ENTRY_BYTES),
        1 => encode_limited(
            &v1::EntryV1::from_model(entry).map_err(EncodeError::NotInVersion1)?,
            MAX_ENTRY_BYTES,
        ),
        other => Err(EncodeError::WrongVersion(other)),
    }
}

/// Encodes `value` with the fixed configuration, refusing a result longer than `limit`.
fn encode_limited(value: &impl serde::Serialize, limit: usize) -> Result<Vec<u8>, EncodeError> {
    // Encoding with an unbounded config, then checking, gives the exact length in the error.
    // Most entries are a few hundred bytes: starting with room for them saves the reallocations
    // of growing from empty, once per entry written or checked.
    let mut bytes = Vec::with_capacity(1024);
    bincode::serde::encode_into_std_write(
        value,
        &mut bytes,
        config::standard()
            .with_little_endian()
            .with_fixed_int_encoding(),
    )
    .map_err(|e| EncodeError::Encoder(e.to_string()))?;
    if bytes.len() > limit {
        return Err(EncodeError::TooLong { len: bytes.len() });
    }
    Ok(bytes)
}

/// Decodes canonical entry bytes, rejecting unknown versions, over-long input, impossible
/// lengths and trailing bytes.
pub fn decode_entry(bytes: &[u8]) -> Result<Entry, DecodeError> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(DecodeError::TooLong { len: bytes.len() });
    }
    let version = match bytes {
        [a, b, ..] => u16::from_le_bytes([*a, *b]),
        _ => return Err(DecodeError::TooShort { len: bytes.len() }),
    };
    if !FORMAT_VERSIONS_READ.contains(&version) {
        return Err(DecodeError::UnknownVersion { found: version });
    }
    let (entry, read) = if version == 1 {
        let (old, read): (v1::EntryV1, usize) = bincode::serde::decode_from_slice(bytes, config())
            .map_err(|e| DecodeError::Malformed(e.to_string()))?;
        let entry = old
            .into_model()
            .map_err(|what| DecodeError::Malformed(format!("format 1 has no {what}")))?;
        (entry, read)
    } else {
        bincode::serde::decode_from_slice::<Entry, _>(bytes, config())
            .map_err(|e| DecodeError::Malformed(e.to_string()))?
    };
    if read != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            extra: bytes.len() - read,
        });
    }
    Ok(entry)
}

/// The largest register snapshot accepted, in bytes (it holds every policy document adopted).
pub const MAX_SNAPSHOT_BYTES: usize = 64 << 20;

/// Encodes the saved registers (same fixed configuration as entries; docs/FORMAT.md,
/// "Register snapshot").
pub fn encode_snapshot(snapshot: &Snapshot) -> Result<Vec<u8>, EncodeError> {
    encode_limited(snapshot, MAX_SNAPSHOT_BYTES)
}

/// Decodes saved registers; `None` for anything that is not a whole snapshot of this build's
/// version (the caller then replays the log instead).
pub fn decode_snapshot(bytes: &[u8]) -> Option<Snapshot> {
    if bytes.len() > MAX_SNAPSHOT_BYTES || bytes.get(..2)? != SNAPSHOT_VERSION.to_le_bytes() {
        return None;
    }
    let cfg = config::standard()
        .with_little_endian()
        .with_fixed_int_encoding()
        .with_limit::<MAX_SNAPSHOT_BYTES>();
    let (snapshot, read): (Snapshot, usize) = bincode::serde::decode_from_slice(bytes, cfg).ok()?;
    (read == bytes.len()).then_some(snapshot)
}
