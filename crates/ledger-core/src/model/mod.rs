//! Plain data: entry kinds, identifiers, parties, gateways and categories.
//!
//! This module owns the shape of every fact the ledger records. It does no I/O and knows nothing
//! of bytes on disk (that is `codec`), storage (`store`) or signatures (`keys`).

mod bytes;
mod disclosure;
mod entry;
mod gateway;
mod ids;
mod time;

pub use bytes::hex_bytes;
pub use disclosure::{
    Assessment, CaseDecision, Category, CategoryKind, CompanyRef, Disclosure, FieldCommitment,
    LegalBasis, Notification, Outcome, Relevance,
};
pub use entry::{
    Acknowledgement, Body, Confirmed, Correction, DesignationConfirmed, DesignationEnded,
    DesignationProposed, Disposition, DispositionAction, Entry, EntryKind, ErasedField, Erasure,
    FORMAT_VERSION, FORMAT_VERSIONS_READ, Genesis, KeyAdded, KeyRevoked, KeyRotated, PartyRecord,
    PolicyDocument, PublicKeyRecord, Refusal, Signer, ThemeDeclared, ThemeRetired,
};
pub use gateway::{Citation, Gateway, GatewayParseError};
pub use ids::{CompanyId, EntryHash, FieldName, IdError, KeyId, PartyId, Seq, ThemeId};
pub use time::{MAX_DATE, MIN_DATE, TimeError, Timestamp, parse_date};

/// One vault item: a field's name and its salt (32 bytes) followed by its value. Vault items
/// live outside the hashed log (docs/FORMAT.md, "Field commitments"), so values can be erased
/// without breaking any hash.
pub type VaultItem = (String, Vec<u8>);
