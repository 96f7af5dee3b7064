//! Signed-note keys ([c2sp.org/signed-note](https://c2sp.org/signed-note) §"Verifier keys" and
//! §"Signatures"): key IDs, verifier keys in the `name+keyid+base64` text form, and Go's
//! `PRIVATE+KEY+…` signer keys.
//!
//! A key knows its name, its key ID and what it signs ([`KeyKind`]); it does not decide whom to
//! trust. Parsing is strict: the key ID is 8 lowercase hex digits and must match the one computed
//! from the name and key material, base64 is canonical standard base64 with padding, and a public
//! key of small order is refused.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

/// Signature type byte of plain Ed25519 note signatures (signed-note §"Signature types").
pub(crate) const SIG_TYPE_ED25519: u8 = 0x01;

/// Signature type byte of timestamped Ed25519 checkpoint cosignatures
/// (signed-note §"Signature types", tlog-cosignature §"Format").
pub(crate) const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;

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
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < ' ')
}

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

    /// The kind for a signature type byte, if it is one this crate implements.
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
    /// The signature type byte is not one this crate implements.
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

    /// Signs `message` with the Ed25519 private key (the raw 64-byte signature).
    pub(crate) fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
