//! Private signing keys (feature `signing`, on by default): generating, signing, and key files
//! in plain and passphrase-encrypted form. The offline evidence verifier builds without it, so
//! none of this (nor scrypt, ChaCha20-Poly1305 or a terminal prompt) is in what it depends on.

use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{AeadInOut as _, KeyInit as _};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use ed25519_dalek::{Signer as _, SigningKey};
use zeroize::Zeroizing;

use super::*;

/// Marker line in demo key files; such keys are for tests and the sample ledger only.
pub const TEST_ONLY_MARKER: &str = "TEST-ONLY DEMO KEY";

/// How an encrypted private key line starts.
pub const ENCRYPTED_KEY_PREFIX: &str = "ENCRYPTED+KEY+";

/// The one encryption scheme of encrypted key files: scrypt (r = 8, p = 1) then
/// ChaCha20-Poly1305.
pub const ENCRYPTION_SCHEME: &str = "scrypt-chacha20poly1305";

/// scrypt cost (log2 N) of new encrypted key files: 2^17 with r = 8, the scrypt crate's
/// recommendation, takes 128 MiB and a fraction of a second to open a key.
pub const SCRYPT_LOG_N: u8 = 17;

/// The costs accepted when reading: a hostile file cannot make dledger spend more than 1 GiB
/// (2^20 · 1 KiB) of memory, nor open a key with trivially weak protection.
pub const SCRYPT_LOG_N_RANGE: std::ops::RangeInclusive<u8> = 10..=20;

/// The shortest passphrase `dledger keygen --encrypt` accepts, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// Environment variable holding the passphrase itself (for automation; other processes of the
/// same user can read a process's environment, so prefer [`PASSPHRASE_FILE_ENV`]).
pub const PASSPHRASE_ENV: &str = "DLEDGER_PASSPHRASE";

const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// The sealed payload: the key type byte and the 32-byte seed, as in the plain form.
const PAYLOAD_LEN: usize = 33;

/// A passphrase, wiped from memory when dropped.
pub type Passphrase = Zeroizing<String>;

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
        let mut raw = Zeroizing::new([0u8; PAYLOAD_LEN]);
        raw[0] = ED25519_KEY_TYPE;
        raw[1..].copy_from_slice(self.signing.as_bytes());
        // Room for everything up front, so no partial copy of the secret is left behind in a
        // buffer that grew.
        let mut text = Zeroizing::new(String::with_capacity(64 + self.public.name.len()));
        let _ = write!(
            text,
            "PRIVATE+KEY+{}+{}+",
            self.public.name,
            self.public.key_id.to_hex()
        );
        BASE64.encode_string(&raw[..], &mut text);
        text
    }

    /// Parses Go's signer key text, checking the key id.
    pub fn from_skey(text: &str) -> Result<SecretKey, MalformedKey> {
        Self::from_skey_text(text).map_err(MalformedKey)
    }

    fn from_skey_text(text: &str) -> Result<SecretKey, String> {
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
        SecretKey::from_payload(name, id_hex, &raw)
    }

    /// A key from its name, key id text and the 33-byte payload `0x01 ‖ seed`.
    fn from_payload(name: &str, id_hex: &str, raw: &[u8]) -> Result<SecretKey, String> {
        let seed = Zeroizing::new(parse_typed_key(raw)?);
        let key = SecretKey::from_seed(name, &seed).map_err(|e| e.to_string())?;
        if key.public.key_id.to_hex() != id_hex.to_ascii_lowercase() {
            return Err(format!(
                "key id {id_hex} does not match the key (expected {})",
                key.public.key_id
            ));
        }
        Ok(key)
    }

    /// The encrypted key text (docs/FORMAT.md §9):
    /// `ENCRYPTED+KEY+<name>+<keyid>+scrypt-chacha20poly1305+<log_n>+base64(salt ‖ nonce ‖
    /// ciphertext ‖ tag)`, sealing `0x01 ‖ seed` under a key scrypt derives from `passphrase`
    /// with cost 2^`log_n` and a fresh random salt. [`SCRYPT_LOG_N`] is the cost to use; tests
    /// use a lower one.
    pub fn to_encrypted_skey(
        &self,
        passphrase: &str,
        log_n: u8,
    ) -> Result<Zeroizing<String>, KeyError> {
        if !SCRYPT_LOG_N_RANGE.contains(&log_n) {
            return Err(KeyError::Passphrase(format!(
                "scrypt cost 2^{log_n} is outside the accepted 2^{}..=2^{}",
                SCRYPT_LOG_N_RANGE.start(),
                SCRYPT_LOG_N_RANGE.end()
            )));
        }
        let header = format!(
            "{ENCRYPTED_KEY_PREFIX}{}+{}+{ENCRYPTION_SCHEME}+{log_n}+",
            self.public.name,
            self.public.key_id.to_hex()
        );
        let mut salt = [0u8; SALT_LEN];
        rand::fill(&mut salt[..]);
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce[..]);
        let cipher = cipher_for(passphrase, &salt, log_n)?;
        // salt ‖ nonce ‖ payload, then the payload is encrypted in place and the tag appended.
        let mut sealed = Zeroizing::new(Vec::with_capacity(
            SALT_LEN + NONCE_LEN + PAYLOAD_LEN + TAG_LEN,
        ));
        sealed.extend_from_slice(&salt);
        sealed.extend_from_slice(&nonce);
        sealed.push(ED25519_KEY_TYPE);
        sealed.extend_from_slice(self.signing.as_bytes());
        let tag = cipher
            .encrypt_inout_detached(
                &Nonce::from(nonce),
                header.as_bytes(),
                (&mut sealed[SALT_LEN + NONCE_LEN..]).into(),
            )
            .map_err(|_| KeyError::Passphrase("encryption failed".into()))?;
        sealed.extend_from_slice(&tag);
        let mut text = Zeroizing::new(String::with_capacity(
            header.len() + 4 * sealed.len() / 3 + 4,
        ));
        text.push_str(&header);
        BASE64.encode_string(&sealed[..], &mut text);
        Ok(text)
    }

    /// Opens encrypted key text with `passphrase`. `Ok(None)` means the passphrase does not
    /// open it (or the text was altered: the AEAD cannot tell the two apart); `Err` that the
    /// text is not a well-formed encrypted key.
    pub fn from_encrypted_skey(
        text: &str,
        passphrase: &str,
    ) -> Result<Option<SecretKey>, MalformedKey> {
        Self::from_encrypted_skey_text(text, passphrase).map_err(MalformedKey)
    }

    fn from_encrypted_skey_text(text: &str, passphrase: &str) -> Result<Option<SecretKey>, String> {
        EncryptedKey::parse(text)?.open(passphrase)
    }

    /// Loads a private key file, refusing one that group or others can read. An encrypted
    /// file is refused with [`KeyError::NeedsPassphrase`]: use [`SecretKey::load_with`].
    pub fn load(path: &Path) -> Result<SecretKey, KeyError> {
        SecretKey::load_with(path, || {
            Err(KeyError::NeedsPassphrase {
                path: path.to_owned(),
            })
        })
    }

    /// Loads a private key file, refusing one that group or others can read; if it is
    /// encrypted, `passphrase` is asked for the passphrase (and only then).
    pub fn load_with(
        path: &Path,
        passphrase: impl FnOnce() -> Result<Passphrase, KeyError>,
    ) -> Result<SecretKey, KeyError> {
        let text = read_owner_only(path, crate::files::KEY_FILE_LIMIT, "key file")?;
        let line = key_line(&text);
        let malformed = |reason| KeyError::Malformed {
            path: path.to_owned(),
            expected: "private key",
            reason,
        };
        if !line.starts_with(ENCRYPTED_KEY_PREFIX) {
            return SecretKey::from_skey_text(line).map_err(malformed);
        }
        // Check the form before asking for a passphrase.
        let sealed = EncryptedKey::parse(line).map_err(malformed)?;
        let pass = passphrase()?;
        match sealed.open(&pass) {
            Ok(Some(key)) => Ok(key),
            Ok(None) => Err(KeyError::WrongPassphrase {
                path: path.to_owned(),
            }),
            Err(reason) => Err(malformed(reason)),
        }
    }

    /// Writes the private key to `path` (created owner-only, never overwritten), with a
    /// comment header; `test_only` adds the demo-key marker.
    pub fn save(&self, path: &Path, test_only: bool) -> Result<(), KeyError> {
        let mut text = Zeroizing::new(String::with_capacity(512));
        text.push_str(
            "# disclosure-ledger private signing key. Keep it secret: owner-only permissions (600).\n",
        );
        if test_only {
            let _ = writeln!(
                text,
                "# {TEST_ONLY_MARKER}: published with the project; never use it as a trust root."
            );
        }
        text.push_str(&self.to_skey());
        text.push('\n');
        write_new_file(path, text.as_bytes(), 0o600)
    }

    /// Writes the private key to `path` encrypted with `passphrase` (created owner-only, never
    /// overwritten). Refuses a passphrase shorter than [`MIN_PASSPHRASE_CHARS`].
    pub fn save_encrypted(&self, path: &Path, passphrase: &str) -> Result<(), KeyError> {
        self.save_encrypted_with_cost(path, passphrase, SCRYPT_LOG_N)
    }

    /// [`SecretKey::save_encrypted`] with a chosen scrypt cost (tests use a low one).
    pub fn save_encrypted_with_cost(
        &self,
        path: &Path,
        passphrase: &str,
        log_n: u8,
    ) -> Result<(), KeyError> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(KeyError::Passphrase(format!(
                "use at least {MIN_PASSPHRASE_CHARS} characters; a short passphrase is quickly \
                 guessed by anyone who copies the key file"
            )));
        }
        let mut text = Zeroizing::new(String::with_capacity(512));
        text.push_str(
            "# disclosure-ledger private signing key, encrypted with a passphrase (scrypt, \
             ChaCha20-Poly1305; docs/FORMAT.md §9).\n# Keep it owner-only (600) all the same.\n",
        );
        text.push_str(&self.to_encrypted_skey(passphrase, log_n)?);
        text.push('\n');
        write_new_file(path, text.as_bytes(), 0o600)
    }

    /// Signs encoded entry bytes (with [`ENTRY_SIGNATURE_CONTEXT`] prepended).
    pub fn sign_entry(&self, entry_bytes: &[u8]) -> [u8; 64] {
        self.signing.sign(&entry_message(entry_bytes)).to_bytes()
    }

    /// A C2SP note signer for this key: Ed25519 (as a log operator) or cosignature/v1 (as a
    /// witness). Same key material, different key id (the type byte differs).
    pub fn note_signer(&self, kind: tlog::KeyKind) -> Result<tlog::SignerKey, tlog::KeyError> {
        let seed = Zeroizing::new(self.signing.to_bytes());
        tlog::SignerKey::from_seed(&self.public.name, kind, &seed)
    }

    /// Signs arbitrary bytes as they are (for C2SP notes, which define their own messages).
    pub fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// An encrypted key line, parsed and checked but not yet opened.
struct EncryptedKey<'a> {
    name: &'a str,
    id_hex: &'a str,
    log_n: u8,
    /// Everything before the base64: the associated data.
    header: &'a str,
    /// salt ‖ nonce ‖ ciphertext ‖ tag.
    sealed: Vec<u8>,
}

impl<'a> EncryptedKey<'a> {
    fn parse(text: &'a str) -> Result<EncryptedKey<'a>, String> {
        let line = text.trim();
        let rest = line
            .strip_prefix(ENCRYPTED_KEY_PREFIX)
            .ok_or("expected it to start with ENCRYPTED+KEY+")?;
        let parts: Vec<&str> = rest.splitn(5, '+').collect();
        let [name, id_hex, scheme, log_n, b64] = parts[..] else {
            return Err(format!(
                "expected {ENCRYPTED_KEY_PREFIX}<name>+<keyid>+{ENCRYPTION_SCHEME}+<log2 N>+<base64>"
            ));
        };
        check_name(name).map_err(|e| e.to_string())?;
        if scheme != ENCRYPTION_SCHEME {
            return Err(format!(
                "encryption scheme {scheme:?} is not supported (this build reads \
                 {ENCRYPTION_SCHEME})"
            ));
        }
        // Checked before any work, so a forged cost cannot make us allocate or spin.
        let log_n: u8 = log_n
            .parse()
            .ok()
            .filter(|n| SCRYPT_LOG_N_RANGE.contains(n))
            .ok_or_else(|| {
                format!(
                    "scrypt cost {log_n:?} is not between {} and {}",
                    SCRYPT_LOG_N_RANGE.start(),
                    SCRYPT_LOG_N_RANGE.end()
                )
            })?;
        let sealed = BASE64
            .decode(b64)
            .map_err(|e| format!("the sealed key is not valid base64 ({e})"))?;
        if sealed.len() != SALT_LEN + NONCE_LEN + PAYLOAD_LEN + TAG_LEN {
            return Err(format!(
                "the sealed key is {} bytes, not {}",
                sealed.len(),
                SALT_LEN + NONCE_LEN + PAYLOAD_LEN + TAG_LEN
            ));
        }
        Ok(EncryptedKey {
            name,
            id_hex,
            log_n,
            header: &line[..line.len() - b64.len()],
            sealed,
        })
    }

    /// Derives the key from `passphrase` and opens the payload; `Ok(None)` if the tag does not
    /// verify.
    fn open(&self, passphrase: &str) -> Result<Option<SecretKey>, String> {
        let (salt, rest) = self.sealed.split_at(SALT_LEN);
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(PAYLOAD_LEN);
        let cipher = cipher_for(passphrase, salt, self.log_n).map_err(|e| e.to_string())?;
        let mut payload = Zeroizing::new(ciphertext.to_vec());
        let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at NONCE_LEN");
        let tag: [u8; TAG_LEN] = tag.try_into().expect("split at TAG_LEN");
        // The AEAD checks the tag (in constant time) before it decrypts anything.
        if cipher
            .decrypt_inout_detached(
                &Nonce::from(nonce),
                self.header.as_bytes(),
                (&mut payload[..]).into(),
                &tag.into(),
            )
            .is_err()
        {
            return Ok(None);
        }
        SecretKey::from_payload(self.name, self.id_hex, &payload).map(Some)
    }
}

/// The ChaCha20-Poly1305 cipher keyed by scrypt(passphrase, salt) at cost 2^`log_n`.
fn cipher_for(passphrase: &str, salt: &[u8], log_n: u8) -> Result<ChaCha20Poly1305, KeyError> {
    let params = scrypt::Params::new(log_n, SCRYPT_R, SCRYPT_P)
        .map_err(|_| KeyError::Passphrase(format!("scrypt cost 2^{log_n} is not usable")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(passphrase.as_bytes(), salt, &params, &mut key[..])
        .map_err(|_| KeyError::Passphrase("key derivation failed".into()))?;
    Ok(ChaCha20Poly1305::new(&(*key).into()))
}

/// Reads a file that must be readable by its owner only (a private key, a passphrase file).
/// The permissions are checked on the open file, so the file checked is the file read; the text
/// goes into a buffer sized up front and wiped when dropped.
fn read_owner_only(
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<Zeroizing<String>, KeyError> {
    let io = |source| KeyError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    };
    // A regular file of at most `limit` bytes (a FIFO is never opened), checked on the handle.
    let (mut file, size) = crate::files::open_limited(path, limit, what)?;
    let meta = file.metadata().map_err(io)?;
    let open = check_owner_only(path, &meta);
    let mut text = Zeroizing::new(String::with_capacity(size as usize + 1));
    (&mut file)
        .take(limit)
        .read_to_string(&mut text)
        .map_err(io)?;
    if let Err(too_open) = open {
        // A public key file passed where the private key belongs is world-readable by design:
        // say what it is rather than ask for a chmod that would not help.
        if PublicKey::from_vkey(key_line(&text)).is_ok() {
            return Err(KeyError::Malformed {
                path: path.to_owned(),
                expected: "private key",
                reason: "it is a public key (a .vkey file); pass the private key file \
                         (NAME.key) that was made with it"
                    .into(),
            });
        }
        return Err(too_open);
    }
    Ok(text)
}

/// The passphrase given in the environment: the first line of the owner-only file named by
/// [`PASSPHRASE_FILE_ENV`], else [`PASSPHRASE_ENV`]; `None` if neither is set.
pub fn passphrase_from_env() -> Result<Option<Passphrase>, KeyError> {
    if let Some(file) = std::env::var_os(PASSPHRASE_FILE_ENV) {
        let path = PathBuf::from(file);
        let text = read_owner_only(
            &path,
            crate::files::PASSPHRASE_FILE_LIMIT,
            "passphrase file",
        )
        .map_err(|e| match e {
            KeyError::TooOpen { path, mode } => KeyError::Passphrase(format!(
                "{} can be read by other users (mode {mode:o}); restrict it with `chmod 600 {}`",
                path.display(),
                path.display()
            )),
            other => KeyError::Passphrase(format!("{PASSPHRASE_FILE_ENV}: {other}")),
        })?;
        let line = text.split('\n').next().unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return Err(KeyError::Passphrase(format!(
                "the first line of {} is empty",
                path.display()
            )));
        }
        return Ok(Some(Zeroizing::new(line.to_owned())));
    }
    match std::env::var(PASSPHRASE_ENV) {
        Ok(p) if !p.is_empty() => Ok(Some(Zeroizing::new(p))),
        _ => Ok(None),
    }
}

/// Asks for a passphrase on the terminal without echo (twice when `confirm`, for a new key);
/// `None` when standard input is not a terminal, so nothing can be asked.
pub fn ask_passphrase(prompt: &str, confirm: bool) -> Result<Option<Passphrase>, KeyError> {
    use std::io::IsTerminal as _;
    use subtle::ConstantTimeEq as _;
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| KeyError::Passphrase(format!("cannot read it from the terminal: {e}")))
    };
    let first = read(prompt)?;
    if confirm {
        let again = read("Repeat the passphrase: ")?;
        if !bool::from(first.as_bytes().ct_eq(again.as_bytes())) {
            return Err(KeyError::Passphrase(
                "the two passphrases differ; nothing was written".into(),
            ));
        }
    }
    Ok(Some(first))
}

/// The passphrase to open the encrypted key file `path`: from the environment
/// ([`passphrase_from_env`]), else asked on the terminal, else [`KeyError::NeedsPassphrase`].
pub fn passphrase_for(path: &Path) -> Result<Passphrase, KeyError> {
    if let Some(p) = passphrase_from_env()? {
        return Ok(p);
    }
    ask_passphrase(&format!("Passphrase for {}: ", path.display()), false)?.ok_or_else(|| {
        KeyError::NeedsPassphrase {
            path: path.to_owned(),
        }
    })
}

/// The passphrase for a new encrypted key: from the environment, else asked twice on the
/// terminal.
pub fn new_passphrase() -> Result<Passphrase, KeyError> {
    if let Some(p) = passphrase_from_env()? {
        return Ok(p);
    }
    ask_passphrase("Passphrase for the new key: ", true)?.ok_or_else(|| {
        KeyError::Passphrase(format!(
            "--encrypt needs a passphrase: set {PASSPHRASE_FILE_ENV} to an owner-only file \
             holding it, or run dledger in a terminal to be asked for it"
        ))
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
                .0
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
    fn batched_signature_checks_answer_as_one_at_a_time() {
        use crate::keys::{SIGNATURE_BATCH, SignatureCheck, verify_entry_signatures};
        let keys = [
            SecretKey::from_seed("a", &[1; 32]).unwrap(),
            SecretKey::from_seed("b", &[2; 32]).unwrap(),
        ];
        let publics = [keys[0].public().key, keys[1].public().key];
        let n = SIGNATURE_BATCH + 44; // two batches, the second short
        let bodies: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
        let mut sigs: Vec<[u8; 64]> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| keys[i % 2].sign_entry(b))
            .collect();
        sigs[3][40] ^= 1; // a broken signature in the first batch
        sigs[n - 1] = keys[0].sign_entry(&bodies[n - 1]); // the other party's key in the second
        let mut checks: Vec<SignatureCheck<'_>> = (0..n)
            .map(|i| SignatureCheck {
                key: &publics[i % 2],
                entry_bytes: &bodies[i],
                signature: &sigs[i],
            })
            .collect();
        let mut raw = keys[0].sign_raw(&bodies[10]); // not domain-separated
        checks[10] = SignatureCheck {
            key: &publics[0],
            entry_bytes: &bodies[10],
            signature: &raw,
        };
        let one_by_one: Vec<bool> = checks
            .iter()
            .map(|c| verify_entry_signature(c.key, c.entry_bytes, c.signature))
            .collect();
        let batched = verify_entry_signatures(&checks);
        assert_eq!(batched, one_by_one);
        let bad: Vec<usize> = (0..n).filter(|i| !batched[*i]).collect();
        assert_eq!(bad, vec![3, 10, n - 1]);
        // An R that is the identity point (a small-order point) goes to the strict check.
        raw[..32].copy_from_slice(&{
            let mut id = [0u8; 32];
            id[0] = 1;
            id
        });
        assert_eq!(
            verify_entry_signatures(&[SignatureCheck {
                key: &publics[0],
                entry_bytes: &bodies[10],
                signature: &raw,
            }]),
            vec![false]
        );
    }

    #[test]
    fn only_ordinary_r_values_skip_the_strict_recheck() {
        let key = SecretKey::from_seed("a", &[1; 32]).unwrap();
        let sig = key.sign_entry(b"entry");
        assert!(crate::keys::ordinary_r(&sig));
        for t in curve25519_dalek::constants::EIGHT_TORSION {
            let mut forged = sig;
            forged[..32].copy_from_slice(&t.compress().to_bytes());
            assert!(!crate::keys::ordinary_r(&forged), "{t:?}");
        }
        // y = p + 1 (a non-canonical encoding of y = 1) and y = 2^255 - 1.
        let mut p_plus_1 = [0xff_u8; 32];
        p_plus_1[0] = 0xee;
        p_plus_1[31] = 0x7f;
        let mut forged = sig;
        forged[..32].copy_from_slice(&p_plus_1);
        assert!(!crate::keys::ordinary_r(&forged));
        forged[..32].copy_from_slice(&[0xff; 32]);
        assert!(!crate::keys::ordinary_r(&forged));
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

    /// The lowest accepted cost keeps these tests fast; the format is the same.
    const TEST_LOG_N: u8 = 10;
    const PASS: &str = "correct horse battery staple";

    fn pass(p: &str) -> impl FnOnce() -> Result<Passphrase, KeyError> + '_ {
        move || Ok(Zeroizing::new(p.to_owned()))
    }

    #[test]
    fn encrypted_keys_round_trip_and_bind_their_header() {
        let key = SecretKey::from_seed("ico-2024", &[7; 32]).unwrap();
        let text = key.to_encrypted_skey(PASS, TEST_LOG_N).unwrap();
        let prefix = format!(
            "ENCRYPTED+KEY+ico-2024+{}+scrypt-chacha20poly1305+10+",
            key.public().key_id
        );
        assert!(text.starts_with(&prefix), "{}", text.as_str());
        // Fresh salt and nonce every time.
        assert_ne!(*text, *key.to_encrypted_skey(PASS, TEST_LOG_N).unwrap());
        let back = SecretKey::from_encrypted_skey(&text, PASS)
            .unwrap()
            .unwrap();
        assert_eq!(back.public(), key.public());
        assert_eq!(*back.to_skey(), *key.to_skey());
        assert!(
            SecretKey::from_encrypted_skey(&text, "wrong passphrase")
                .unwrap()
                .is_none()
        );
        // Every part of the header is bound to the ciphertext.
        let swap = |from: &str, to: &str| text.replacen(from, to, 1);
        for altered in [
            swap("ico-2024", "ico-2025"),
            swap("+10+", "+11+"),
            swap(&key.public().key_id.to_hex(), "00000000"),
        ] {
            assert!(
                !matches!(SecretKey::from_encrypted_skey(&altered, PASS), Ok(Some(_))),
                "{altered}"
            );
        }
        // So is every byte of the sealed part.
        let b64_at = prefix.len();
        let mut sealed = BASE64.decode(&text[b64_at..]).unwrap();
        for i in [0, 40, 50, sealed.len() - 1] {
            sealed[i] ^= 1;
            let altered = format!("{}{}", &text[..b64_at], BASE64.encode(&sealed));
            assert!(matches!(
                SecretKey::from_encrypted_skey(&altered, PASS),
                Ok(None)
            ));
            sealed[i] ^= 1;
        }
    }

    #[test]
    fn encrypted_keys_refuse_costs_outside_the_range_before_any_work() {
        let key = SecretKey::from_seed("t", &[1; 32]).unwrap();
        assert!(key.to_encrypted_skey(PASS, 9).is_err());
        assert!(key.to_encrypted_skey(PASS, 21).is_err());
        let text = key.to_encrypted_skey(PASS, TEST_LOG_N).unwrap();
        for cost in ["9", "21", "64", "255", "-1", "", "1e3"] {
            let forged = text.replacen("+10+", &format!("+{cost}+"), 1);
            let err = SecretKey::from_encrypted_skey(&forged, PASS).unwrap_err();
            assert!(err.0.contains("scrypt cost"), "{cost}: {err}");
        }
        for bad in [
            "ENCRYPTED+KEY+t",
            "ENCRYPTED+KEY+t+00000000+aes+10+AAAA",
            "ENCRYPTED+KEY+t+00000000+scrypt-chacha20poly1305+10+AAAA",
            "ENCRYPTED+KEY+t+00000000+scrypt-chacha20poly1305+10+!!",
        ] {
            assert!(SecretKey::from_encrypted_skey(bad, PASS).is_err(), "{bad}");
        }
    }

    #[test]
    fn encrypted_key_files_are_owner_only_and_ask_for_the_passphrase_last() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate("ofcom-2025").unwrap();
        let path = dir.path().join("ofcom.key");
        assert!(matches!(
            key.save_encrypted_with_cost(&path, "short", TEST_LOG_N),
            Err(KeyError::Passphrase(_))
        ));
        assert!(!path.exists());
        key.save_encrypted_with_cost(&path, PASS, TEST_LOG_N)
            .unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("PRIVATE+KEY"), "{text}");
        assert!(matches!(
            SecretKey::load(&path),
            Err(KeyError::NeedsPassphrase { .. })
        ));
        assert!(matches!(
            SecretKey::load_with(&path, pass("not the passphrase")),
            Err(KeyError::WrongPassphrase { .. })
        ));
        let loaded = SecretKey::load_with(&path, pass(PASS)).unwrap();
        assert_eq!(loaded.public(), key.public());
        // A plain key never asks.
        let plain = dir.path().join("plain.key");
        key.save(&plain, false).unwrap();
        let loaded = SecretKey::load_with(&plain, || panic!("asked for a passphrase")).unwrap();
        assert_eq!(loaded.public(), key.public());
        // Permissions are checked before anything else, for every group or other bit.
        for mode in [0o640, 0o604, 0o620, 0o660, 0o644, 0o700 | 0o004] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let err = SecretKey::load_with(&path, || panic!("asked for a passphrase")).unwrap_err();
            assert!(matches!(err, KeyError::TooOpen { .. }), "{mode:o}: {err}");
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        assert!(SecretKey::load_with(&path, pass(PASS)).is_ok());
        assert!(matches!(
            key.save_encrypted_with_cost(&path, PASS, TEST_LOG_N),
            Err(KeyError::Exists { .. })
        ));
    }

    #[test]
    fn oversized_key_files_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.key");
        write_new_file(&path, &vec![b'#'; 100_000], 0o600).unwrap();
        let err = SecretKey::load(&path).unwrap_err();
        assert!(
            matches!(
                err,
                KeyError::File(crate::files::ReadFileError::TooLarge { size: 100_000, .. })
            ),
            "{err}"
        );
    }
}
