//! Serde helpers that show byte arrays as hex in human-readable formats (JSON views) while
//! leaving the binary encoding exactly that of a plain array (docs/FORMAT.md).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `#[serde(with = "hex_bytes")]` for `[u8; N]` fields (N ≤ 32).
pub mod hex_bytes {
    use super::*;

    /// Serializes as lower-case hex when human-readable, else as the plain array.
    pub fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error>
    where
        [u8; N]: Serialize,
    {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(bytes))
        } else {
            bytes.serialize(s)
        }
    }

    /// Inverse of [`serialize`].
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error>
    where
        [u8; N]: Deserialize<'de>,
    {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            let raw = hex::decode(&text).map_err(D::Error::custom)?;
            raw.try_into()
                .map_err(|_| D::Error::custom(format!("expected {N} bytes of hex")))
        } else {
            <[u8; N]>::deserialize(d)
        }
    }
}
