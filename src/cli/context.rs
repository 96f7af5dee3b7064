//! The command line's context: which ledger, how long to wait for its lock, and opening it
//! (as a reader or the one writer) and the signing key.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::ledger::Ledger;
use disclosure_ledger::store::{Access, OpenError, Store};

pub(super) struct Ctx {
    pub(super) ledger: Option<PathBuf>,
    pub(super) wait: Duration,
    /// The node operating the log, when the ledger file is a replica of it (`--remote`).
    pub(super) remote: Option<String>,
    /// The CA certificate for an https node.
    pub(super) ca_cert: Option<PathBuf>,
}

impl Ctx {
    pub(super) fn path(&self) -> Result<&Path> {
        self.ledger.as_deref().ok_or_else(|| {
            anyhow!("no ledger given: pass --ledger FILE (or -l FILE), or set DLEDGER_LEDGER")
        })
    }

    /// Retries while the ledger is locked by another writer, up to --wait.
    pub(super) fn retry<T, E>(
        &self,
        mut f: impl FnMut() -> Result<T, E>,
        locked: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        let start = Instant::now();
        loop {
            match f() {
                Err(e) if locked(&e) && start.elapsed() < self.wait => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    pub(super) fn open_writer(&self) -> Result<Ledger> {
        let path = self.path()?;
        if let Some(url) = &self.remote {
            let remote = disclosure_ledger::remote::Remote::new(url, self.ca_cert.as_deref())?;
            return disclosure_ledger::remote::submit::open_remote(remote, path).with_context(
                || {
                    format!(
                        "bringing the replica {} up to the node {url}",
                        path.display()
                    )
                },
            );
        }
        let mut ledger = self.retry(|| Ledger::open(path), |e| e.is_locked())?;
        // The write lock is taken at the moment of the append; wait for it there too.
        ledger.set_wait(self.wait);
        Ok(ledger)
    }

    pub(super) fn open_reader(&self, path: &Path) -> Result<Store> {
        if let Some(url) = &self.remote {
            // A replica is brought up to the node's checkpoint before it is read.
            let remote = disclosure_ledger::remote::Remote::new(url, self.ca_cert.as_deref())?;
            let mut replica = disclosure_ledger::remote::submit::open_replica(path)?;
            disclosure_ledger::remote::sync(&remote, &mut replica, None, |_| Vec::new())
                .with_context(|| {
                    format!(
                        "bringing the replica {} up to the node {url}",
                        path.display()
                    )
                })?;
        }
        Ok(self.retry(
            || Store::open(path, Access::ReadOnly),
            |e| matches!(e, OpenError::Locked { .. }),
        )?)
    }
}

pub(super) fn load_key(path: &Path) -> Result<SecretKey> {
    // An encrypted key asks for its passphrase (environment, else terminal) only when opened.
    Ok(SecretKey::load_with(path, || {
        disclosure_ledger::keys::passphrase_for(path)
    })?)
}
