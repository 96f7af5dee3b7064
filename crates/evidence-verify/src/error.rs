//! Why a bundle or a trust directory could not be read at all. A bundle that is read but fails a
//! check is not an error: it is an [`EvidenceReport`](crate::EvidenceReport) whose checks say
//! what failed.

use std::path::PathBuf;

/// Why a bundle directory could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The path is not a bundle directory at all.
    #[error("{} is not an evidence bundle: {reason}", path.display())]
    NotABundle {
        /// The path given.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A directory could not be listed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done: "read".
        action: &'static str,
        /// The directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// Why the trusted keys could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The trust directory could not be listed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done: "read".
        action: &'static str,
        /// The directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A trusted key file is unreadable or malformed.
    #[error(
        "trusted key {}: {reason}. The trust directory must hold only C2SP verifier keys \
         (<name>+<keyid>+<base64>) as *.vkey files",
        path.display()
    )]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The trust directory holds no `*.vkey` file.
    #[error(
        "{} holds no *.vkey files; a trust directory holds the regulators' published public keys \
         (their trust roots), obtained from them directly",
        dir.display()
    )]
    NoTrustedKeys {
        /// The directory.
        dir: PathBuf,
    },
}
