//! Newtypes for the identifiers that must never be confused with each other.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Why a piece of text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is not valid: {rule}")]
pub struct IdError {
    /// Which kind of identifier was being read ("party id", "theme id", ...).
    pub what: &'static str,
    /// The rejected text.
    pub value: String,
    /// The rule it broke, phrased as what a valid one looks like.
    pub rule: &'static str,
}

/// Position of an entry in the ledger, starting at 0 for the genesis entry.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Seq(pub u64);

impl Seq {
    /// The sequence number that follows this one.
    pub fn next(self) -> Seq {
        Seq(self.0 + 1)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("#{}", self.0))
    }
}

/// SHA-256 hash of an entry: the RFC 6962 leaf hash of its encoded bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, PartialOrd, Ord)]
#[serde(transparent)]
pub struct EntryHash(#[serde(with = "super::bytes::hex_bytes")] pub [u8; 32]);

impl EntryHash {
    /// The predecessor hash of the genesis entry: 32 zero bytes.
    pub const ZERO: EntryHash = EntryHash([0; 32]);

    /// Lower-case hex, as printed in reports.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryHash({})", self.to_hex())
    }
}

impl fmt::Display for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.to_hex())
    }
}

/// Four-byte key id as defined by C2SP signed-note:
/// the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(transparent)]
pub struct KeyId(#[serde(with = "super::bytes::hex_bytes")] pub [u8; 4]);

impl KeyId {
    /// Eight lower-case hex digits, as in a C2SP verifier key.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.to_hex())
    }
}

/// Distinct values of one kind of identifier that each thread keeps for sharing while decoding;
/// beyond it (a hostile file) decoding still works, with one allocation per value.
pub(super) const INTERNED_PER_KIND: usize = 4096;

/// Defines a validated string identifier. The constructor is the only way in, and decoding goes
/// through it too (`serde(try_from)`), so an invalid identifier can never be held.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $rule:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        // Shared text: registers hold a copy of the same id for every disclosure, and a clone
        // of an `Arc<str>` is a count, not an allocation.
        pub struct $name(Arc<str>);

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        // Decoding goes through `interned`: a ledger names the same few hundred ids millions
        // of times, and each decoded copy then shares one allocation.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Text;
                impl serde::de::Visitor<'_> for Text {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "a {}", $what)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::interned(v).map_err(E::custom)
                    }
                }
                d.deserialize_str(Text)
            }
        }

        impl $name {
            /// Validates `value` and wraps it.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                let check: fn(&str) -> bool = $check;
                // INVARIANT: every value held passed `check`.
                if check(&value) {
                    Ok(Self(value.into()))
                } else {
                    Err(IdError { what: $what, value, rule: $rule })
                }
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Like [`Self::new`], but the same text read again on this thread shares the
            /// first copy (for the first `INTERNED_PER_KIND` distinct values of this kind).
            pub fn interned(value: &str) -> Result<Self, IdError> {
                thread_local! {
                    static SEEN: std::cell::RefCell<std::collections::HashMap<Box<str>, Arc<str>>> =
                        Default::default();
                }
                SEEN.with_borrow_mut(|seen| {
                    if let Some(shared) = seen.get(value) {
                        return Ok(Self(Arc::clone(shared)));
                    }
                    let id = Self::new(value)?;
                    if seen.len() < INTERNED_PER_KIND {
                        seen.insert(value.into(), Arc::clone(&id.0));
                    }
                    Ok(id)
                })
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.to_string()
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }
    };
}

fn is_slug(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

string_id!(
    /// A regulator taking part in the ledger, e.g. `ICO`, `OFCOM`, `CMA`, `FCA`.
    PartyId,
    "party id",
    "use 2 to 16 upper-case letters or digits, e.g. ICO or OFCOM",
    |s| (2..=16).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
);

string_id!(
    /// A Collaboration Theme (2024 statement §2), e.g. `age-assurance`.
    ThemeId,
    "theme id",
    "use 1 to 64 lower-case letters, digits and hyphens, e.g. age-assurance",
    is_slug
);

string_id!(
    /// A company's stable id, which never changes even if its name does, e.g. `acme-social`.
    CompanyId,
    "company id",
    "use 1 to 64 lower-case letters, digits and hyphens, e.g. acme-social",
    is_slug
);

string_id!(
    /// The name of a field of information shared, e.g. `request_date`.
    FieldName,
    "field name",
    "use 1 to 64 lower-case letters, digits and underscores, starting with a letter, e.g. request_date",
    |s| (1..=64).contains(&s.len())
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_ids_share_one_copy_and_are_still_checked() {
        let a: CompanyId = serde_json::from_str("\"acme-social\"").unwrap();
        let b: CompanyId = serde_json::from_str("\"acme-social\"").unwrap();
        assert_eq!(a, b);
        assert!(
            Arc::ptr_eq(&a.0, &b.0),
            "the second decode shares the first"
        );
        let bad = serde_json::from_str::<CompanyId>("\"Acme Social\"").unwrap_err();
        assert!(bad.to_string().contains("company id"), "{bad}");
        // A bad value is refused every time, not remembered.
        assert!(serde_json::from_str::<CompanyId>("\"Acme Social\"").is_err());
        // Encoding is the plain string, as before.
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"acme-social\"");
    }

    #[test]
    fn more_distinct_ids_than_are_kept_still_decode() {
        let ids: Vec<ThemeId> = (0..INTERNED_PER_KIND + 10)
            .map(|i| ThemeId::interned(&format!("theme-{i}")).unwrap())
            .collect();
        assert_eq!(
            ids.last().unwrap().as_str(),
            format!("theme-{}", INTERNED_PER_KIND + 9)
        );
        let again = ThemeId::interned(&format!("theme-{}", INTERNED_PER_KIND + 9)).unwrap();
        assert_eq!(again, *ids.last().unwrap());
        assert!(
            !Arc::ptr_eq(&again.0, &ids.last().unwrap().0),
            "past the limit, not kept"
        );
    }
}
