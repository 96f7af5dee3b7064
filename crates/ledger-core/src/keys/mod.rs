//! Ed25519 key files, C2SP key ids and verifier keys, and entry signatures.
//!
//! Private key files use Go's signed-note signer format
//! (`PRIVATE+KEY+<name>+<keyid>+base64(0x01 ‖ seed)`) and must be readable by their owner only.
//! Public keys use the C2SP verifier key form (`<name>+<keyid>+base64(0x01 ‖ public key)`), so
//! the same files work with golang.org/x/mod/sumdb/note.
//!
//! A private key file may also be encrypted with a passphrase
//! (`ENCRYPTED+KEY+<name>+<keyid>+scrypt-chacha20poly1305+<log2 N>+base64(salt ‖ nonce ‖
//! ciphertext)`, docs/FORMAT.md §9): scrypt (RFC 7914) derives a key from the passphrase and
//! ChaCha20-Poly1305 (RFC 8439) seals the same 33 bytes the plain form holds, with everything
//! before the base64 as associated data, so neither the name, the key id nor the cost can be
//! changed without the file failing to open. Both primitives are RustCrypto's; nothing here is
//! home-made cryptography. Secrets (seeds, passphrases, derived keys, decrypted bytes and the
//! text of key files) are held in `Zeroizing` buffers, wiped when dropped. Everything about
//! private keys is behind the `signing` feature (module `secret`); public keys, key ids and
//! signature verification are always here.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::hash::sha256;
use crate::model::{KeyId, PublicKeyRecord};

#[cfg(feature = "signing")]
mod secret;
#[cfg(feature = "signing")]
pub use secret::*;

/// C2SP signed-note signature type byte for Ed25519 (signed-note §"Signature types").
pub const ED25519_KEY_TYPE: u8 = 0x01;

/// Context prepended to entry bytes before signing, so an entry signature can never be
/// mistaken for a signature over anything else (a note, a cosignature, another protocol).
pub const ENTRY_SIGNATURE_CONTEXT: &[u8] = b"disclosure-ledger/entry-signature/v1\n";

/// Environment variable naming a file whose first line is the passphrase of an encrypted key
/// (the file must be owner-only, like a key).
pub const PASSPHRASE_FILE_ENV: &str = "DLEDGER_PASSPHRASE_FILE";

/// What went wrong reading or writing a key file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key (or passphrase) file is not a regular file of a sensible size; it was not read.
    #[error(transparent)]
    File(#[from] crate::files::ReadFileError),
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
         PRIVATE+KEY+<name>+<keyid>+<base64>; a public key file holds <name>+<keyid>+<base64>"
    )]
    Malformed {
        /// The file (or `"<text>"` for a string).
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
    /// The key file is encrypted and no passphrase was given.
    #[error(
        "{path} is encrypted with a passphrase; set {PASSPHRASE_FILE_ENV} to an owner-only file \
         holding it, or run dledger in a terminal to be asked for it"
    )]
    NeedsPassphrase {
        /// The file.
        path: PathBuf,
    },
    /// The passphrase does not open the key file (or the file was altered).
    #[error(
        "the passphrase does not open {path}: either it is not this key's passphrase or the \
         file has been altered; check the passphrase and try again"
    )]
    WrongPassphrase {
        /// The file.
        path: PathBuf,
    },
    /// The passphrase could not be obtained, or is not acceptable.
    #[error("passphrase: {0}")]
    Passphrase(String),
}

/// Why the text of a key (a `.vkey` line, a private key line, a recorded public key) is not a
/// valid key: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedKey(pub String);

impl From<String> for MalformedKey {
    fn from(reason: String) -> MalformedKey {
        MalformedKey(reason)
    }
}

impl From<&str> for MalformedKey {
    fn from(reason: &str) -> MalformedKey {
        MalformedKey(reason.to_owned())
    }
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
    pub fn from_vkey(text: &str) -> Result<PublicKey, MalformedKey> {
        Self::from_vkey_text(text).map_err(MalformedKey)
    }

    fn from_vkey_text(text: &str) -> Result<PublicKey, String> {
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
        let text = crate::files::read_limited_string(
            path,
            crate::files::KEY_FILE_LIMIT,
            "public key file",
        )?;
        PublicKey::from_vkey(key_line(&text)).map_err(|reason| KeyError::Malformed {
            path: path.to_owned(),
            expected: "public key",
            reason: reason.0,
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
    pub fn from_record(record: &PublicKeyRecord) -> Result<PublicKey, MalformedKey> {
        Self::from_record_text(record).map_err(MalformedKey)
    }

    fn from_record_text(record: &PublicKeyRecord) -> Result<PublicKey, String> {
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

/// One entry signature to check with [`verify_entry_signatures`].
#[derive(Debug, Clone, Copy)]
pub struct SignatureCheck<'a> {
    /// The key it must verify under.
    pub key: &'a VerifyingKey,
    /// The entry's bytes (the message is [`entry_message`] of them).
    pub entry_bytes: &'a [u8],
    /// The signature.
    pub signature: &'a [u8; 64],
}

/// Signatures checked together in one Ed25519 batch by [`verify_entry_signatures`].
pub const SIGNATURE_BATCH: usize = 256;

/// Verifies many entry signatures on the calling thread, in Ed25519 batches of
/// [`SIGNATURE_BATCH`] (about twice as fast as one at a time); one answer per item, in order.
///
/// A batch that fails is re-checked one signature at a time with `verify_strict`, to say which.
/// A batch that passes is re-checked strictly for the signatures batch verification would not
/// reject on its own: weak (small-order) keys, and an `R` whose encoding is not canonical or is
/// a small-order point. What is left is a genuine signature with a small torsion point added to
/// its `R`: a batch may accept it where `verify_strict` does not. It signs the same bytes under
/// the same key, so it changes no entry and no signer (docs/DECISIONS.md, "Verification speed");
/// `verify` and `verify-evidence` both use this function, so they agree.
pub fn verify_entry_signatures(items: &[SignatureCheck<'_>]) -> Vec<bool> {
    let mut answers = Vec::with_capacity(items.len());
    for chunk in items.chunks(SIGNATURE_BATCH) {
        let messages: Vec<Vec<u8>> = chunk.iter().map(|c| entry_message(c.entry_bytes)).collect();
        let message_refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        let signatures: Vec<Signature> = chunk
            .iter()
            .map(|c| Signature::from_bytes(c.signature))
            .collect();
        let keys: Vec<VerifyingKey> = chunk.iter().map(|c| *c.key).collect();
        let batch_ok = ed25519_dalek::verify_batch(&message_refs, &signatures, &keys).is_ok();
        for ((c, message), signature) in chunk.iter().zip(&messages).zip(&signatures) {
            let strictly = !batch_ok || c.key.is_weak() || !ordinary_r(c.signature);
            answers.push(!strictly || c.key.verify_strict(message, signature).is_ok());
        }
    }
    answers
}

/// Whether a signature's `R` is canonically encoded (`y` < p) and not one of the small-order
/// points (whose `y` values are those of the eight-torsion subgroup): the cases `verify_strict`
/// rejects and a batch does not.
pub(crate) fn ordinary_r(signature: &[u8; 64]) -> bool {
    let mut y = [0u8; 32];
    y.copy_from_slice(&signature[..32]);
    y[31] &= 0x7f;
    // p = 2^255 - 19, little-endian: ed ff .. ff 7f.
    let at_least_p = y[31] == 0x7f && y[1..31].iter().all(|b| *b == 0xff) && y[0] >= 0xed;
    if at_least_p {
        return false;
    }
    !SMALL_ORDER_Y.contains(&y)
}

/// The `y` encodings (sign bit cleared) of the eight small-order points, worked out once.
static SMALL_ORDER_Y: std::sync::LazyLock<Vec<[u8; 32]>> = std::sync::LazyLock::new(|| {
    curve25519_dalek::constants::EIGHT_TORSION
        .iter()
        .map(|t| {
            let mut y = t.compress().to_bytes();
            y[31] &= 0x7f;
            y
        })
        .collect()
});

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
