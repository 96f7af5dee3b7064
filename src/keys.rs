//! Ed25519 key files, C2SP key ids and verifier keys, and entry signatures.
//!
//! Private key files use Go's signed-note signer format
//! (`PRIVATE+KEY+<name>+<keyid>+base64(0x01 ‖ seed)`) and must be readable by their owner only.
//! Public keys use the C2SP verifier key form (`<name>+<keyid>+base64(0x01 ‖ public key)`), so
//! the same files work with golang.org/x/mod/sumdb/note.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::hash::sha256;
use crate::model::{KeyId, PublicKeyRecord};

/// C2SP signed-note signature type byte for Ed25519 (signed-note §"Signature types").
pub const ED25519_KEY_TYPE: u8 = 0x01;

/// Context prepended to entry bytes before signing, so an entry signature can never be
/// mistaken for a signature over anything else (a note, a cosignature, another protocol).
pub const ENTRY_SIGNATURE_CONTEXT: &[u8] = b"disclosure-ledger/entry-signature/v1\n";

/// Marker line in demo key files; such keys are for tests and the sample ledger only.
pub const TEST_ONLY_MARKER: &str = "TEST-ONLY DEMO KEY";

/// What went wrong reading or writing a key file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file could not be read or written.
    #[error("cannot {action} key file {path}: {source}")]
    Io {
        /// "read", "create", ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Refused to replace an existing key file.
    #[error(
        "{path} already exists; dledger never overwrites a key file. Choose another name, or \
         move the old file away first if you really mean to replace it"
    )]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A private key file that group or others can read.
    #[error(
        "private key {path} can be read by other users (mode {mode:o}); restrict it with \
         `chmod 600 {path}` and try again"
    )]
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The contents are not a key in the expected form.
    #[error(
        "{path} is not a {expected}: {reason}. A private key file holds one line \
         PRIVATE+KEY+<name>+<keyid>+<base64>; a public key file holds <name>+<keyid>+<base64>. \
         Make keys with `dledger keygen`"
    )]
    Malformed {
        /// The file (or "<text>" for a string).
        path: PathBuf,
        /// "private key" or "public key".
        expected: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A key name C2SP does not allow, or that cannot be a file name.
    #[error(
        "key name {0:?} is not allowed: use 1 to 64 letters, digits, '.', '-' or '_', e.g. ico-2024"
    )]
    BadName(String),
}

/// Computes a C2SP signed-note key id: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ type ‖ key).
pub fn key_id(name: &str, key_type: u8, public: &[u8]) -> KeyId {
    let mut msg = Vec::with_capacity(name.len() + 2 + public.len());
    msg.extend_from_slice(name.as_bytes());
    msg.push(b'\n');
    msg.push(key_type);
    msg.extend_from_slice(public);
    let digest = sha256(&msg);
    KeyId([digest[0], digest[1], digest[2], digest[3]])
}

fn check_name(name: &str) -> Result<(), KeyError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(KeyError::BadName(name.to_owned()))
    }
}

/// A public Ed25519 key with its C2SP name and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Key name.
    pub name: String,
    /// Key id derived from name and key.
    pub key_id: KeyId,
    /// The key.
    pub key: VerifyingKey,
}

impl PublicKey {
    /// Wraps a verifying key, computing its id.
    pub fn new(name: &str, key: VerifyingKey) -> Result<PublicKey, KeyError> {
        check_name(name)?;
        Ok(PublicKey {
            name: name.to_owned(),
            key_id: key_id(name, ED25519_KEY_TYPE, key.as_bytes()),
            key,
        })
    }

    /// The C2SP verifier key text: `<name>+<keyid hex>+base64(0x01 ‖ key)`.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![ED25519_KEY_TYPE];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            self.key_id.to_hex(),
            BASE64.encode(raw)
        )
    }

    /// Parses C2SP verifier key text, checking the key id matches.
    pub fn from_vkey(text: &str) -> Result<PublicKey, String> {
        let parts: Vec<&str> = text.trim().splitn(3, '+').collect();
        let [name, id_hex, b64] = parts[..] else {
            return Err("expected three parts <name>+<keyid>+<base64>".into());
        };
        check_name(name).map_err(|e| e.to_string())?;
        let raw = BASE64
            .decode(b64)
            .map_err(|e| format!("key is not valid base64 ({e})"))?;
        let key = parse_typed_key(&raw)?;
        let key = VerifyingKey::from_bytes(&key)
            .map_err(|_| "the 32 bytes are not a valid Ed25519 public key".to_string())?;
        let public = PublicKey::new(name, key).map_err(|e| e.to_string())?;
        if public.key_id.to_hex() != id_hex.to_ascii_lowercase() {
            return Err(format!(
                "key id {id_hex} does not match the key (expected {})",
                public.key_id
            ));
        }
        Ok(public)
    }

    /// Reads a public key file (comment lines starting with `#` are ignored).
    pub fn load(path: &Path) -> Result<PublicKey, KeyError> {
        let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?;
        PublicKey::from_vkey(key_line(&text)).map_err(|reason| KeyError::Malformed {
            path: path.to_owned(),
            expected: "public key",
            reason,
        })
    }

    /// The record of this key as stored in ledger entries.
    pub fn record(&self) -> PublicKeyRecord {
        PublicKeyRecord {
            name: self.name.clone(),
            key_id: self.key_id,
            public: self.key.to_bytes(),
        }
    }

    /// Rebuilds a key from its ledger record, checking the id matches name and key.
    pub fn from_record(record: &PublicKeyRecord) -> Result<PublicKey, String> {
        let key = VerifyingKey::from_bytes(&record.public)
            .map_err(|_| "not a valid Ed25519 public key".to_string())?;
        let public = PublicKey::new(&record.name, key).map_err(|e| e.to_string())?;
        if public.key_id != record.key_id {
            return Err(format!(
                "recorded key id {} does not match its name and key (expected {})",
                record.key_id, public.key_id
            ));
        }
        Ok(public)
    }
}

fn parse_typed_key(raw: &[u8]) -> Result<[u8; 32], String> {
    match raw {
        [ED25519_KEY_TYPE, rest @ ..] => rest.try_into().map_err(|_| {
            format!(
                "expected 32 key bytes after the type byte, found {}",
                rest.len()
            )
        }),
        [t, ..] => Err(format!(
            "key type 0x{t:02x} is not Ed25519 (0x01); only Ed25519 keys sign ledger entries"
        )),
        [] => Err("the key is empty".into()),
    }
}

/// The first line of `text` that is not blank or a `#` comment.
fn key_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("")
}

/// A private signing key with its name and id. The secret is wiped from memory on drop.
pub struct SecretKey {
    public: PublicKey,
    signing: SigningKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    /// Generates a fresh key from the operating system's random source.
    pub fn generate(name: &str) -> Result<SecretKey, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::fill(&mut seed[..]);
        SecretKey::from_seed(name, &seed)
    }

    /// Builds a key from a 32-byte Ed25519 seed (deterministic; for demo keys and tests).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<SecretKey, KeyError> {
        let signing = SigningKey::from_bytes(seed);
        let public = PublicKey::new(name, signing.verifying_key())?;
        Ok(SecretKey { public, signing })
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Go's signer key text: `PRIVATE+KEY+<name>+<keyid>+base64(0x01 ‖ seed)`.
    pub fn to_skey(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(vec![ED25519_KEY_TYPE]);
        raw.extend_from_slice(self.signing.as_bytes());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.public.name,
            self.public.key_id.to_hex(),
            BASE64.encode(&raw[..])
        ))
    }

    /// Parses Go's signer key text, checking the key id.
    pub fn from_skey(text: &str) -> Result<SecretKey, String> {
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or("expected it to start with PRIVATE+KEY+")?;
        let parts: Vec<&str> = rest.splitn(3, '+').collect();
        let [name, id_hex, b64] = parts[..] else {
            return Err("expected PRIVATE+KEY+<name>+<keyid>+<base64>".into());
        };
        let raw = Zeroizing::new(
            BASE64
                .decode(b64)
                .map_err(|e| format!("key is not valid base64 ({e})"))?,
        );
        let seed = Zeroizing::new(parse_typed_key(&raw)?);
        let key = SecretKey::from_seed(name, &seed).map_err(|e| e.to_string())?;
        if key.public.key_id.to_hex() != id_hex.to_ascii_lowercase() {
            return Err(format!(
                "key id {id_hex} does not match the key (expected {})",
                key.public.key_id
            ));
        }
        Ok(key)
    }

    /// Loads a private key file, refusing one that group or others can read.
    pub fn load(path: &Path) -> Result<SecretKey, KeyError> {
        let meta = fs::metadata(path).map_err(|source| KeyError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?;
        check_owner_only(path, &meta)?;
        let text = Zeroizing::new(fs::read_to_string(path).map_err(|source| KeyError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?);
        SecretKey::from_skey(key_line(&text)).map_err(|reason| KeyError::Malformed {
            path: path.to_owned(),
            expected: "private key",
            reason,
        })
    }

    /// Writes the private key to `path` (created owner-only, never overwritten), with a
    /// comment header; `test_only` adds the demo-key marker.
    pub fn save(&self, path: &Path, test_only: bool) -> Result<(), KeyError> {
        let mut text = String::from(
            "# disclosure-ledger private signing key. Keep it secret: owner-only permissions (600).\n",
        );
        if test_only {
            text.push_str(&format!(
                "# {TEST_ONLY_MARKER}: published with the project; never use it as a trust root.\n"
            ));
        }
        let mut text = Zeroizing::new(text);
        text.push_str(&self.to_skey());
        text.push('\n');
        write_new_file(path, text.as_bytes(), 0o600)
    }

    /// Signs encoded entry bytes (with [`ENTRY_SIGNATURE_CONTEXT`] prepended).
    pub fn sign_entry(&self, entry_bytes: &[u8]) -> [u8; 64] {
        self.signing.sign(&entry_message(entry_bytes)).to_bytes()
    }

    /// A C2SP note signer for this key: Ed25519 (as a log operator) or cosignature/v1 (as a
    /// witness). Same key material, different key id (the type byte differs).
    pub fn note_signer(
        &self,
        kind: crate::checkpoint::KeyKind,
    ) -> Result<crate::checkpoint::SignerKey, crate::checkpoint::KeyError> {
        let seed = Zeroizing::new(self.signing.to_bytes());
        crate::checkpoint::SignerKey::from_seed(&self.public.name, kind, &seed)
    }

    /// Signs arbitrary bytes as they are (for C2SP notes, which define their own messages).
    pub fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// The exact message an entry signature covers: context ‖ entry bytes.
pub fn entry_message(entry_bytes: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(ENTRY_SIGNATURE_CONTEXT.len() + entry_bytes.len());
    msg.extend_from_slice(ENTRY_SIGNATURE_CONTEXT);
    msg.extend_from_slice(entry_bytes);
    msg
}

/// Verifies an entry signature strictly (rejecting malleable and small-order encodings).
pub fn verify_entry_signature(
    key: &VerifyingKey,
    entry_bytes: &[u8],
    signature: &[u8; 64],
) -> bool {
    let sig = Signature::from_bytes(signature);
    key.verify_strict(&entry_message(entry_bytes), &sig).is_ok()
}

/// Writes the public key file `<dir>/<name>.vkey` (never overwriting) and returns its path.
pub fn save_public(public: &PublicKey, dir: &Path) -> Result<PathBuf, KeyError> {
    fs::create_dir_all(dir).map_err(|source| KeyError::Io {
        action: "create",
        path: dir.to_owned(),
        source,
    })?;
    let path = dir.join(format!("{}.vkey", public.name));
    write_new_file(&path, format!("{}\n", public.to_vkey()).as_bytes(), 0o644)?;
    Ok(path)
}

fn write_new_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::Exists {
                    path: path.to_owned(),
                }
            } else {
                KeyError::Io {
                    action: "create",
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|source| KeyError::Io {
            action: "write",
            path: path.to_owned(),
            source,
        })
}

fn check_owner_only(path: &Path, meta: &fs::Metadata) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the C2SP signed-note spec (and Go's note package docs):
    /// PeterNeumann's key, id c74f20a3.
    #[test]
    fn c2sp_spec_example_key() {
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let public = PublicKey::from_vkey(vkey).unwrap();
        assert_eq!(public.key_id.to_hex(), "c74f20a3");
        assert_eq!(public.to_vkey(), vkey);
        let secret = SecretKey::from_skey(skey).unwrap();
        assert_eq!(secret.public(), &public);
        assert_eq!(secret.to_skey().as_str(), skey);
    }

    #[test]
    fn rejects_wrong_key_id_and_type() {
        let vkey = "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        assert!(
            PublicKey::from_vkey(vkey)
                .unwrap_err()
                .contains("does not match")
        );
        let wrong_type = "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        assert!(PublicKey::from_vkey(wrong_type).is_err());
        assert!(PublicKey::from_vkey("not a key").is_err());
    }

    #[test]
    fn entry_signatures_are_domain_separated() {
        let key = SecretKey::from_seed("t", &[1; 32]).unwrap();
        let sig = key.sign_entry(b"entry");
        assert!(verify_entry_signature(&key.public().key, b"entry", &sig));
        assert!(!verify_entry_signature(&key.public().key, b"entrx", &sig));
        let raw = key.sign_raw(b"entry");
        assert!(!verify_entry_signature(&key.public().key, b"entry", &raw));
    }

    #[test]
    fn save_load_and_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate("ico-2024").unwrap();
        let path = dir.path().join("ico.key");
        key.save(&path, false).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let loaded = SecretKey::load(&path).unwrap();
        assert_eq!(loaded.public(), key.public());
        assert!(matches!(
            key.save(&path, false),
            Err(KeyError::Exists { .. })
        ));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = SecretKey::load(&path).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
        let vkey = save_public(key.public(), dir.path()).unwrap();
        assert_eq!(&PublicKey::load(&vkey).unwrap(), key.public());
    }
}
